// A local clamd for `npm start`, the e2e suite and the in-runtime tests. There is no internet here
// (freshclam cannot download the official databases), so the signature database is generated at
// start: the EICAR test file by hash (.hdb) and by body (.ndb). clamd reports signatures that are
// not from ClamAV with a `.UNOFFICIAL` suffix ("Eicar-Test-Signature.UNOFFICIAL FOUND").
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { freeTcpPort } from "./freePort.mjs";

/** The EICAR anti-virus test file: harmless, and detected by every scanner. */
export const EICAR = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";

/** StreamMaxLength of the generated clamd.conf; MAX_UPLOAD_BYTES and CLAMD_STREAM_MAX_BYTES default to the same. */
export const CLAMD_STREAM_MAX_BYTES = 104_857_600;

/** Where clamd is, or null: /usr/sbin is not on every PATH. */
export function findClamd() {
  for (const candidate of [process.env.CLAMD_BIN, "clamd", "/usr/sbin/clamd", "/usr/local/sbin/clamd"]) {
    if (!candidate) continue;
    const probe = spawnSync(candidate, ["--version"], { stdio: "ignore" });
    if (probe.status === 0) return candidate;
  }
  return null;
}

/** Answers PING with PONG? */
export function pingClamd(port, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    let answer = "";
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.on("connect", () => socket.write("zPING\0"));
    socket.on("data", (d) => {
      answer += d;
      if (answer.includes("PONG")) done(true);
    });
    socket.on("error", () => done(false));
    socket.on("close", () => done(answer.includes("PONG")));
  });
}

/**
 * Starts clamd in the foreground on 127.0.0.1:`port` (a free one by default) with a generated
 * configuration and signature database in a temporary directory. `stop()` kills it (the port can
 * be reused by `start()` again: the e2e suite stops clamd mid-run and brings it back).
 */
export async function startClamd(options = {}) {
  const bin = findClamd();
  if (!bin) throw new Error("clamd is not installed (apt-get install clamav-daemon)");
  const port = options.port ?? (await freeTcpPort());
  const dir = mkdtempSync(path.join(tmpdir(), "colink-clamd-"));
  const db = path.join(dir, "db");
  spawnSync("mkdir", ["-p", db]);
  const md5 = createHash("md5").update(EICAR).digest("hex");
  writeFileSync(path.join(db, "colink.hdb"), `${md5}:${EICAR.length}:Eicar-Test-Signature\n`);
  writeFileSync(path.join(db, "colink.ndb"), `Eicar-Test-Body:0:*:${Buffer.from(EICAR.slice(0, 40)).toString("hex")}\n`);
  const conf = path.join(dir, "clamd.conf");
  writeFileSync(
    conf,
    [
      "Foreground yes",
      `DatabaseDirectory ${db}`,
      `TCPSocket ${port}`,
      "TCPAddr 127.0.0.1",
      `StreamMaxLength ${Math.floor(CLAMD_STREAM_MAX_BYTES / 1024 / 1024)}M`,
      `MaxFileSize ${Math.floor(CLAMD_STREAM_MAX_BYTES / 1024 / 1024)}M`,
      `MaxScanSize ${Math.floor(CLAMD_STREAM_MAX_BYTES / 1024 / 1024)}M`,
      `PidFile ${path.join(dir, "clamd.pid")}`,
      `TemporaryDirectory ${dir}`,
      `LogFile ${path.join(dir, "clamd.log")}`,
      "LogTime no",
      "MaxThreads 4",
      "ReadTimeout 30",
      "CommandReadTimeout 30",
      "SelfCheck 0",
      "",
    ].join("\n"),
  );
  let child = null;
  let logs = "";
  const start = async () => {
    child = spawn(bin, ["--config-file", conf, "--foreground"], { stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.on("data", (d) => (logs += d));
    child.stderr.on("data", (d) => (logs += d));
    const deadline = Date.now() + 30_000;
    while (!(await pingClamd(port))) {
      if (child.exitCode !== null) throw new Error(`clamd exited early (${child.exitCode}):\n${logs}`);
      if (Date.now() > deadline) throw new Error(`clamd did not answer on ${port}:\n${logs}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const stop = async () => {
    const c = child;
    child = null;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once("exit", r));
    c.kill("SIGKILL");
    await exited;
  };
  await start();
  return {
    address: `127.0.0.1:${port}`,
    port,
    start,
    stop,
    logs: () => logs,
    /** Stops clamd for good and removes its directory. */
    close: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
