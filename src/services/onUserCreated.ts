import type { Database } from "../db/client";
import type { Role } from "../db/schema";

/**
 * Runs once after any account is created (built-in sign-up or first OIDC sight): puts every
 * non-guest into #general, creating #general with the owner account.
 */
export async function onUserCreated(_env: Env, _db: Database, _user: { id: string; role: Role }): Promise<void> {}
