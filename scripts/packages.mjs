// The Debian packages the suites and the bench use, each installed when missing: by `npm test`
// (scripts/test.mjs) when it runs as root with apt, as CI does, and by `.ci/run` before it (with
// sudo when CI is not root). Elsewhere it says what to install. Runs on any Node >= 18.
//
//   node scripts/packages.mjs [--sudo]   installs what is missing, then exits
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { findClamd } from "./clamd.mjs";

const cjkFont = () => {
  const fonts = spawnSync("fc-list", [":lang=zh", "family"], { encoding: "utf8" });
  return fonts.status === 0 && fonts.stdout.trim() !== "";
};

/** What each part needs; `required` stops the suite when it cannot be installed. */
export const PACKAGES = [
  {
    // The browser e2e test (test/e2e/web.e2e.ts) drives Debian's Chromium and needs a CJK font;
    // without them that test says what to install, and fails.
    packages: ["chromium", "fonts-noto-cjk"],
    why: "the browser e2e test",
    present: () => existsSync(process.env.CHROMIUM_PATH ?? "/usr/bin/chromium") && cjkFont(),
    required: false,
  },
  {
    // The suites scan files with a real clamd (scripts/clamd.mjs starts it).
    packages: ["clamav-daemon"],
    why: "the suites scan files with a real clamd",
    present: () => Boolean(findClamd()),
    required: true,
    recommends: false,
  },
  {
    // The bench's real peer (bench/targets/ejabberd.mjs, ejabberd-mam.mjs with SQLite archiving).
    packages: ["ejabberd", "erlang-p1-sqlite3"],
    why: "the bench's ejabberd peer",
    present: () => spawnSync("dpkg", ["-s", "ejabberd", "erlang-p1-sqlite3"], { stdio: "ignore" }).status === 0,
    required: false,
  },
];

/**
 * Installs every missing package with apt: as root, or through sudo when `sudo` is set. Where it
 * cannot, it says what to install and, for a required one, exits with 1.
 */
export function ensurePackages({ sudo = false } = {}) {
  const missing = PACKAGES.filter((p) => !p.present());
  if (missing.length === 0) return;
  const root = process.getuid?.() === 0;
  if ((!root && !sudo) || !existsSync("/usr/bin/apt-get")) {
    for (const p of missing) {
      const say = `${p.packages.join(" ")} missing (${p.why}): run \`sudo apt-get install -y ${p.packages.join(" ")}\`, then npm test again.`;
      console[p.required ? "error" : "warn"](say);
    }
    if (missing.some((p) => p.required)) process.exit(1);
    return;
  }
  const apt = (args) => {
    const [cmd, ...rest] = [...(root ? [] : ["sudo"]), "env", "DEBIAN_FRONTEND=noninteractive", "apt-get", ...args];
    const r = spawnSync(cmd, rest, { stdio: "inherit" });
    if (r.status !== 0) {
      console.error(`apt-get ${args.join(" ")} failed (${r.status})`);
      process.exit(r.status ?? 1);
    }
  };
  apt(["update"]);
  for (const p of missing) {
    console.log(`\n== installing ${p.packages.join(", ")} (${p.why})`);
    apt(["install", "-y", ...(p.recommends === false ? ["--no-install-recommends"] : []), ...p.packages]);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) ensurePackages({ sudo: process.argv.includes("--sudo") });
