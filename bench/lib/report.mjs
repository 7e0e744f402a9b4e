import { writeFileSync } from "node:fs";
import path from "node:path";

// The Markdown summary of a run: goals first (pass/fail with the shortfall), then one section per
// scenario, then the charts.

const f = (v, d = 1) => (v === null || v === undefined || Number.isNaN(v) ? "n/a" : Number(v).toFixed(d));
const mib = (kib) => (kib === null || kib === undefined ? "n/a" : `${(kib / 1024).toFixed(0)} MiB`);
const mark = (pass) => (pass === null ? "n/a" : pass ? "✅ pass" : "❌ FAIL");

function deliveryTable(record) {
  const rows = [
    "| target | rounds | messages | delivered / expected | dup | msg/s | deliveries/s | p50 | p90 | p99 | max (ms) | send answered p50 / p99 (ms) | generator CPU (cores) / max thread ELU | server CPU (cores) | workerd RSS start → end |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const [name, o] of Object.entries(record.targets)) {
    if (o.skipped || o.error) {
      rows.push(`| ${name} | ${o.skipped ? `skipped: ${o.skipped}` : `**error**: ${o.error}`} ||||||||||||||`);
      continue;
    }
    const a = o.aggregate;
    if (!a?.deliveries) continue;
    const l = a.latencyMs;
    rows.push(
      `| ${name} | ${a.rounds} | ${a.messages} | ${a.deliveries.delivered} / ${a.deliveries.expected}${a.deliveries.complete ? "" : " ⚠️"} | ${a.deliveries.duplicated} | ${f(a.messagesPerSecond)} | ${f(a.deliveriesPerSecond, 0)} | ${f(l.p50)} | ${f(l.p90)} | ${f(l.p99)} | ${f(l.max)} | ${f(a.sendAckMs?.p50)} / ${f(a.sendAckMs?.p99)} | ${f(a.generatorCpuCoresMax, 2)} / ${f(a.generatorEluMax, 2)}${a.generatorSaturated ? " ⚠️ saturated" : ""} | ${f(a.serverCpuCoresMax, 2)} | ${mib(o.rss?.start?.rssKib)} → ${mib(o.rss?.end?.rssKib)} |`,
    );
  }
  return rows;
}

function warnings(record) {
  const out = [];
  for (const [name, o] of Object.entries(record.targets)) {
    for (const r of o.rounds ?? []) {
      if (r.generator?.saturated)
        out.push(
          `${name} ${r.tag ?? ""}: the **generator could not keep up** (saturated, or starved of CPU; thread ELU ${r.generator.threadElu?.join("/")}${r.generator.scheduleLate ? `, schedule slip p99 ${r.scheduleSlipMs?.p99} ms` : ""}): its latencies are inflated by the client side.`,
        );
      if (r.deliveries?.stillArrivingAfterSeconds)
        out.push(
          `${name} ${r.tag ?? ""}: deliveries were still arriving ${r.deliveries.stillArrivingAfterSeconds} s after the last send when the bench stopped waiting: the ${r.deliveries.lost} missing ones are late, not necessarily lost.`,
        );
      if (r.server?.reloaded)
        out.push(
          `${name} ${r.tag ?? ""}: **the workerd runtime was replaced** during the measurement (wrangler dev reloaded: with \`--live\`, a source file changed; otherwise a crash): sockets were dropped and this round is not valid.`,
        );
      if (r.machine?.saturated)
        out.push(
          `${name} ${r.tag ?? ""}: the machine's CPUs were ${f((r.machine.busyFraction ?? 0) * 100, 0)}% busy: server and generator competed for CPU.`,
        );
      const odd = r.clientOddities;
      if (odd && (odd.unexpectedCloses || odd.errorFrames || odd.resyncs || odd.gapFillErrors || odd.badFrames))
        out.push(
          `${name} ${r.tag ?? ""}: ${odd.unexpectedCloses} unexpected socket closes, ${odd.errorFrames} error frames, ${odd.resyncs} resync_required, ${odd.gapFillErrors} failed gap fills${odd.samples?.length ? ` (e.g. ${odd.samples.slice(0, 3).join("; ")})` : ""}.`,
        );
    }
  }
  return out;
}

export function writeSummary(results, dir, stamp, { quick, targets, charts, seconds }) {
  const lines = [];
  const env = results[0]?.environment;
  lines.push(`# Colink benchmark ${stamp}${quick ? " (quick)" : ""}`, "");
  lines.push(
    `Targets ${targets.join(", ")}, run interleaved (A B A B) per scenario. ${results.length} scenario(s) in ${f(seconds / 60, 1)} min. ` +
      (env ? `Machine: ${env.cores} cores, ${env.memGiB} GiB, Node ${env.node}; generator: ${env.threads} worker threads per target.` : ""),
    "",
  );
  for (const [name, src] of Object.entries(env?.sources ?? {}))
    lines.push(
      `${name} ran from a ${src.from}, commit \`${src.commit?.slice(0, 12) ?? "unknown"}\`${src.dirty ? " with uncommitted changes" : ""}.`,
      "",
    );
  if (quick) lines.push("> `--quick` runs a small version of every scenario: the goals are judged on it, but only a full run counts.", "");
  lines.push("## Goals", "", "| scenario | goal | result | measured | shortfall |", "|---|---|---|---|---|");
  for (const r of results)
    for (const g of r.goals) lines.push(`| ${r.scenario} | ${g.goal} | ${mark(g.pass)} | ${g.value} | ${g.shortfall ?? ""} |`);
  lines.push("");
  for (const r of results) {
    lines.push(
      `## ${r.scenario}`,
      "",
      `${r.summary}${quick ? ` Quick parameters: \`${JSON.stringify(r.params)}\`.` : ""} Took ${f(r.seconds, 0)} s.`,
      "",
    );
    const table = r.detailsMd?.length ? [] : deliveryTable(r);
    if (table.length > 2) lines.push(...table, "");
    if (r.detailsMd?.length) lines.push(...r.detailsMd, "");
    for (const [ref, q] of Object.entries(r.ratios ?? {}))
      lines.push(
        `Colink ÷ ${ref}: throughput ${f(q.throughput, 2)}×, p50 ${f(q.p50, 2)}×, p90 ${f(q.p90, 2)}×, p99 ${f(q.p99, 2)}×` +
          (q.perRound?.length > 1
            ? ` (per round pair: ${q.perRound.map((p) => `${f(p.throughput, 2)}× / ${f(p.p99, 2)}×`).join(", ")})`
            : "") +
          ".",
        "",
      );
    for (const [name, o] of Object.entries(r.targets))
      if (o.error && !table.some((l) => l.includes(o.error))) lines.push(`- ${name}: **error** ${o.error}`);
    const w = warnings(r);
    if (w.length) lines.push(...w.map((x) => `- ⚠️ ${x}`), "");
  }
  if (charts.length) {
    lines.push("## Charts", "");
    for (const c of charts) lines.push(`**${c.what}**`, "", `![${c.what}](${c.file})`, "");
  }
  lines.push(
    "## Reading this",
    "",
    "See bench/README.md: what each scenario does, what each column means, and when a number can be trusted.",
    "",
  );
  const file = path.join(dir, `${stamp}-summary.md`);
  writeFileSync(file, lines.join("\n"));
  return file;
}
