/**
 * The `table.column` a D1 UNIQUE constraint failure names, or null for any other error. Drizzle
 * wraps driver errors, so the whole `cause` chain is searched.
 */
export function uniqueViolation(err: unknown): string | null {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const match = e.message.match(/UNIQUE constraint failed: ([\w.]+)/);
    if (match?.[1]) return match[1];
  }
  return null;
}
