import { startEjabberd, start as startPlain } from "./ejabberd.mjs";

// ejabberd with durable history: every room message archived by mod_mam in SQLite before it is
// reflected, the fair comparison with Colink. Everything else as ejabberd.mjs.

export * from "./ejabberd.mjs";
export const name = "ejabberd-mam";

export async function start({ log } = {}) {
  const ctx = await startPlain({ log, startServer: () => startEjabberd({ archive: true, log }) });
  return { ...ctx, archive: true };
}
