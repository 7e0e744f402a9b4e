/** D1 binds at most 100 parameters per statement. */
export const D1_MAX_BOUND_PARAMETERS = 100;

/**
 * Splits `items` so that each statement stays within D1's bound-parameter limit, given how many
 * parameters one item binds and how many the rest of the statement binds.
 */
export function d1Chunks<T>(items: readonly T[], paramsPerItem = 1, otherParams = 0): T[][] {
  const size = Math.max(1, Math.floor((D1_MAX_BOUND_PARAMETERS - otherParams) / paramsPerItem));
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
