import { readdirSync, readFileSync, readlinkSync } from "node:fs";

// Reads what the benchmark needs from /proc: the workerd processes of one `wrangler dev`, their
// resident memory and CPU time, and the machine's CPU time. Linux only; elsewhere every reading
// is null and the report says so.

const TICKS_PER_SECOND = 100;

function read(path) {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
}

function pids() {
  try {
    return readdirSync("/proc").filter((d) => /^\d+$/.test(d));
  } catch {
    return [];
  }
}

/** /proc/<pid>/stat fields after the command name: [state, ppid, pgrp, ...]. */
function statFields(pid) {
  const stat = read(`/proc/${pid}/stat`);
  if (!stat) return null;
  const close = stat.lastIndexOf(")");
  return { comm: stat.slice(stat.indexOf("(") + 1, close), rest: stat.slice(close + 2).split(" ") };
}

/** The `wrangler dev` process listening on `port` (started detached, so it leads its own process group). */
export function findWranglerLeader(port) {
  for (const pid of pids()) {
    const cmd = read(`/proc/${pid}/cmdline`);
    if (!cmd?.includes("wrangler")) continue;
    const args = cmd.split("\0");
    const i = args.indexOf("--port");
    if (i >= 0 && args[i + 1] === String(port) && args.includes("dev")) return Number(pid);
  }
  return null;
}

/** Every workerd process in the process group `pgid`, or on the machine when `pgid` is undefined. */
export function workerdPids(pgid) {
  if (pgid === null) return [];
  const out = [];
  for (const pid of pids()) {
    const s = statFields(pid);
    if (s?.comm.startsWith("workerd") && (pgid === undefined || Number(s.rest[2]) === pgid)) out.push(Number(pid));
  }
  return out.sort((a, b) => a - b);
}

/** VmRSS of a process in KiB, or null when it is gone. */
export function rssKib(pid) {
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(read(`/proc/${pid}/status`) ?? "");
  return m ? Number(m[1]) : null;
}

/** User + system CPU seconds a process has used so far. */
export function cpuSeconds(pid) {
  const s = statFields(pid);
  if (!s) return null;
  return (Number(s.rest[11]) + Number(s.rest[12])) / TICKS_PER_SECOND;
}

/** Machine-wide CPU time: busy and total seconds over all cores, from /proc/stat. */
export function machineCpu() {
  const line = (read("/proc/stat") ?? "").split("\n")[0];
  if (!line?.startsWith("cpu ")) return null;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: (total - idle) / TICKS_PER_SECOND, total: total / TICKS_PER_SECOND };
}

/**
 * `wrangler dev` runs two workerd processes: a dev proxy that owns the public port and forwards
 * every request and socket, and the runtime that runs the Worker and its Durable Objects.
 */
function role(pid, port) {
  const cmd = read(`/proc/${pid}/cmdline`) ?? "";
  return cmd.includes(`entry=127.0.0.1:${port}`) ? "proxy" : "runtime";
}

const runtimePid = (pgid, port) => workerdPids(pgid).find((pid) => role(pid, port) === "runtime");

/** The TCP ports process `pid` listens on (IPv4, from /proc/<pid>/net/tcp and its socket fds). */
export function listeningPorts(pid) {
  /** @type {Set<string>} */
  const inodes = new Set();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m?.[1]) inodes.add(m[1]);
      } catch {
        // closed meanwhile
      }
    }
  } catch {
    return [];
  }
  const ports = [];
  for (const line of (read(`/proc/${pid}/net/tcp`) ?? "").split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    // local_address is hex "IP:PORT", st 0A is LISTEN, the inode is the 10th field
    if (f[3] === "0A" && f[9] && inodes.has(f[9])) ports.push(Number.parseInt(f[1]?.split(":")[1] ?? "", 16));
  }
  return ports;
}

/**
 * The runtime workerd of the `wrangler dev` in process group `pgid`, reachable directly: the port
 * of its own entry socket, found by asking each port it listens on for `/healthz`.
 */
export async function runtimeUrl(pgid, port) {
  const runtime = runtimePid(pgid, port);
  if (runtime === undefined) return null;
  // A freshly started runtime can take seconds to answer its first request: ask again for a while.
  for (let attempt = 0; attempt < 5; attempt++) {
    for (const p of listeningPorts(runtime)) {
      const url = `http://127.0.0.1:${p}`;
      try {
        const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5_000) });
        if (res.ok) return url;
      } catch {
        // the inspector or another internal socket
      }
    }
  }
  return null;
}

/**
 * How many more file descriptors the runtime workerd of process group `pgid` can open, keeping
 * 1,024 in reserve. An accepted socket takes two (workerd duplicates each), a Durable Object with
 * SQLite storage three while it is loaded (its database, WAL and shared-memory files).
 */
export function freeDescriptors(pgid, port) {
  const runtime = runtimePid(pgid, port);
  if (runtime === undefined) return null;
  const limit = /Max open files\s+(\d+)/.exec(read(`/proc/${runtime}/limits`) ?? "");
  let open = 0;
  try {
    open = readdirSync(`/proc/${runtime}/fd`).length;
  } catch {
    return null;
  }
  return limit?.[1] ? Math.max(0, Number(limit[1]) - open - 1024) : null;
}

/** A snapshot of one server's workerd processes: RSS (KiB) and CPU seconds, in total and for the runtime alone. */
export function serverSnapshot(pgid, port) {
  return processesSnapshot(workerdPids(pgid), (pid) => role(pid, port));
}

/** RSS (KiB) and CPU seconds of `pids`, in total and for those `roleOf` calls "runtime". */
export function processesSnapshot(pids, roleOf) {
  const procs = pids.map((pid) => ({ pid, role: roleOf(pid), rssKib: rssKib(pid) ?? 0, cpuSeconds: cpuSeconds(pid) ?? 0 }));
  const runtime = procs.filter((p) => p.role === "runtime");
  return {
    at: Date.now(),
    processes: procs,
    rssKib: procs.reduce((a, p) => a + p.rssKib, 0),
    runtimeRssKib: runtime.reduce((a, p) => a + p.rssKib, 0),
    cpuSeconds: procs.reduce((a, p) => a + p.cpuSeconds, 0),
    runtimeCpuSeconds: runtime.reduce((a, p) => a + p.cpuSeconds, 0),
  };
}
