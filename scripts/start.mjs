// `npm start`: apply the D1 migrations to the local state, then run `wrangler dev` on
// 127.0.0.1:$PORT (default 8787). State lives in .wrangler/state and survives restarts.
import { spawn, spawnSync } from "node:child_process";
import path from "node:path";
import { findClamd, startClamd } from "./clamd.mjs";

const root = path.resolve(import.meta.dirname, "..");
const wrangler = path.join(root, "node_modules", "wrangler", "bin", "wrangler.js");
const port = process.env.PORT || "8787";
// wrangler's local observability (traces of every invocation, kept on disk for its dev explorer)
// costs more than a call between Durable Objects: off unless X_LOCAL_OBSERVABILITY=true is set.
// wrangler's local explorer (/cdn-cgi/explorer) is an unauthenticated read-write API on the local
// D1 and Durable Object storage, token-signing key included, served to anyone who can reach the
// port: always off.
const env = { X_LOCAL_OBSERVABILITY: "false", ...process.env, X_LOCAL_EXPLORER: "false", WRANGLER_SEND_METRICS: "false" };

const args = process.argv.slice(2);
// `npm start -- --persist-to DIR` keeps state elsewhere: migrate that state, not the default one.
const persistAt = args.findIndex((a) => a === "--persist-to" || a.startsWith("--persist-to="));
const persistArgs = persistAt < 0 ? [] : args[persistAt].includes("=") ? [args[persistAt]] : args.slice(persistAt, persistAt + 2);
const migrate = spawnSync(process.execPath, [wrangler, "d1", "migrations", "apply", "DB", "--local", ...persistArgs], {
  cwd: root,
  stdio: "inherit",
  env,
});
if (migrate.status !== 0) process.exit(migrate.status ?? 1);

// Files are scanned by clamd (README "Files"). A local one is started when installed, with a
// signature database generated here (the EICAR test signature: freshclam needs the internet).
const fileScan = process.env.FILE_SCAN === "off" ? "off" : "required";
let clamd = null;
let scanBanner;
if (fileScan === "off") {
  scanBanner = `
  !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!
  !!  FILE_SCAN=off: uploaded files are marked clean WITHOUT ANY VIRUS SCAN. A local trial only. !!
  !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!`;
} else if (process.env.CLAMD_ADDRESS) {
  scanBanner = `  Files:      scanned by the clamd at ${process.env.CLAMD_ADDRESS} (CLAMD_ADDRESS)`;
} else if (findClamd()) {
  clamd = await startClamd();
  scanBanner = `  Files:      scanned by a local clamd on ${clamd.address} (its signatures: only the EICAR test file;
              point CLAMD_ADDRESS at a clamd with freshclam's databases for real protection)`;
} else {
  scanBanner = `
  !! Files:   clamd is not installed, so uploads stay "scanning" and are never served.
  !!          Install it (apt-get install clamav-daemon) and run npm start again, or set
  !!          CLAMD_ADDRESS=host:port of a clamd, or FILE_SCAN=off for a trial without scanning.`;
}
const scanVars = [
  "--var",
  `FILE_SCAN:${fileScan}`,
  ...(clamd || process.env.CLAMD_ADDRESS ? ["--var", `CLAMD_ADDRESS:${clamd ? clamd.address : process.env.CLAMD_ADDRESS}`] : []),
];

const base = `http://127.0.0.1:${port}`;
console.log(`
Colink is starting on ${base}
  API docs:   ${base}/api/docs   (OpenAPI 3.1: ${base}/api/v1/openapi.json)
  First run?  Create the owner account (the first account of a workspace becomes its owner):

    curl -s ${base}/api/v1/auth/register -H 'content-type: application/json' \\
      -d '{"email":"you@example.com","username":"you","password":"a long passphrase"}'

  Then invite others: POST ${base}/api/v1/admin/invites (see README "Quick start").
${scanBanner}
`);

// Cloudflare's edge sets cf-connecting-ip and drops a client's own; wrangler dev passes a client's
// value through, so here it is not believed and every local client counts as one address.
const localVars = ["--var", "TRUST_CF_CONNECTING_IP:false"];
const child = spawn(process.execPath, [wrangler, "dev", "--ip", "127.0.0.1", "--port", port, ...localVars, ...scanVars, ...args], {
  cwd: root,
  stdio: "inherit",
  env,
});
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => child.kill(sig));
child.on("exit", async (code) => {
  await clamd?.close();
  process.exit(code ?? 0);
});
