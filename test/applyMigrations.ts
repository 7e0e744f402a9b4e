import { applyD1Migrations, env } from "cloudflare:test";

// Runs before each test file; per-test storage isolation rolls every test back to this state.
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
