import { Colink, type ColinkOptions, type CursorStore, type Cursors } from "../../../client/index.ts";
import { type Account, baseUrl } from "../client";

// Helpers for the SDK suites: an SDK client signed in as a test account, waiting on conditions.

/** An SDK client for `account`, signed in with its password (so it holds its own session). */
export async function sdkFor(account: Account, options: Partial<ColinkOptions> = {}): Promise<Colink> {
  const colink = new Colink({ baseUrl: baseUrl(), watchNetwork: false, ...options });
  await colink.login(account.username, account.password);
  return colink;
}

/** Polls until `check` returns a truthy value (or throws after `ms`). */
export async function eventually<T>(check: () => T | Promise<T>, ms = 15_000, what = "condition"): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`${what} not reached in ${ms} ms${last ? `: ${String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Cursors kept in a variable, as a terminal client keeps them in a file. */
export class SavedCursors implements CursorStore {
  saved: Cursors | null = null;
  load() {
    return this.saved ? structuredClone(this.saved) : null;
  }
  save(cursors: Cursors) {
    this.saved = structuredClone(cursors);
  }
}
