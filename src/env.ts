import type { Database } from "./db/client";
import type { AuthUser } from "./services/auth/authUser";

/** Hono environment for every route: bindings from wrangler.toml, plus per-request variables. */
export type AppEnv = {
  Bindings: Env;
  Variables: {
    requestId: string;
    db: Database;
    /** Set by `requireUser`; absent on public routes. */
    user: AuthUser;
    /** Refresh-token session id when the caller used a Colink access token. */
    sessionId: string | null;
  };
};
