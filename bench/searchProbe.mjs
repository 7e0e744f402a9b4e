#!/usr/bin/env node
// The search index's costs measured on SQLite itself, without wrangler dev: the schema of
// migrations/0005_search.sql, the bench corpus (seeding/searchCorpus.ts) with the tokens the
// index consumer writes, N messages in 100 public channels; then bytes per message and the time of
// the query shapes src/services/queries/searchMessages.ts runs, against "rank every match".
//   node --experimental-sqlite bench/searchProbe.mjs [messages=1000000] [db=/tmp/colink-search-probe.sqlite]
// bench/README.md "Search at scale" quotes it. Node >= 22.18 (runs the corpus's TypeScript as is).
import { existsSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { messageText, prng, VOCABULARY } from "./seeding/searchCorpus.ts";

const N = Number(process.argv[2] ?? 1_000_000);
const file = process.argv[3] ?? "/tmp/colink-search-probe.sqlite";
const root = path.resolve(import.meta.dirname, "..");
// As src/lib/search/searchText.ts indexColumns (which Node cannot import: extensionless imports).
const CJK_RUN = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\u30fc\uff70]+/gu;
const bigrams = (run) => {
  const c = Array.from(run);
  const out = [];
  for (let i = 0; i + 1 < c.length; i++) out.push(c[i] + c[i + 1]);
  out.push(c.at(-1));
  return out;
};
const columns = (t) => ({
  body: t.replace(CJK_RUN, (r) => " ".repeat(r.length)),
  cjk: [...t.matchAll(CJK_RUN)].map((m) => bigrams(m[0]).join(" ")).join(" "),
});

if (existsSync(file)) rmSync(file);
const db = new DatabaseSync(file);
db.exec(readFileSync(path.join(root, "migrations", "0005_search.sql"), "utf8"));
db.exec(
  "CREATE TABLE channels (id TEXT PRIMARY KEY, kind TEXT, name TEXT); CREATE TABLE memberships (channel_id TEXT, user_id TEXT, PRIMARY KEY (channel_id, user_id));",
);
for (let c = 0; c < 100; c++) {
  db.prepare("INSERT INTO channels VALUES (?, 'public', ?)").run(`c${c}`, `ch${c}`);
  db.prepare("INSERT INTO memberships VALUES (?, 'u0')").run(`c${c}`);
}
const insert = db.prepare(
  "INSERT INTO search_messages (rowid, message_id, channel_id, seq, author_id, created_at, has_link, version, indexed) VALUES (?, ?, ?, ?, ?, ?, 0, 1, 1)",
);
const fts = db.prepare("INSERT INTO search_fts (rowid, body, cjk) VALUES (?, ?, ?)");
const rand = prng(1);
const start = Date.now() - N * 30_000;
const t0 = performance.now();
db.exec("BEGIN");
for (let i = 0; i < N; i++) {
  const at = start + i * 30_000;
  const { body, cjk } = columns(messageText(rand));
  insert.run(at * 1024, `m${i}`, `c${i % 100}`, Math.floor(i / 100) + 1, `u${i % 20}`, at);
  fts.run(at * 1024, body, cjk);
  if (i % 100_000 === 99_999) {
    db.exec("COMMIT");
    db.exec("BEGIN");
    console.error(`${i + 1} messages, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }
}
db.exec("COMMIT");
const bytes = db.prepare("SELECT page_count * page_size AS b FROM pragma_page_count(), pragma_page_size()").get().b;
console.log(`${N} messages: ${(bytes / 2 ** 20).toFixed(0)} MiB, ${(bytes / N).toFixed(0)} bytes per message`);

const visible =
  "s.channel_id IN (SELECT channel_id FROM memberships WHERE user_id = 'u0' UNION ALL SELECT id FROM channels WHERE kind = 'public' AND 1 = 1)";
const from = "search_fts JOIN search_messages s ON s.rowid = search_fts.rowid";
const cols = "s.rowid AS rowid, s.message_id, s.channel_id, s.created_at";
const shapes = {
  "rank every match": `SELECT * FROM (SELECT ${cols}, bm25(search_fts) AS score FROM ${from} WHERE s.deleted = 0 AND search_fts MATCH ? AND ${visible}) ORDER BY score, rowid LIMIT 21`,
  "relevance (newest 2,000)": `SELECT * FROM (SELECT ${cols}, bm25(search_fts) AS score FROM ${from} WHERE s.deleted = 0 AND search_fts MATCH ? AND ${visible} ORDER BY search_fts.rowid DESC LIMIT 2000) ORDER BY score, rowid LIMIT 21`,
  recent: `SELECT ${cols} FROM ${from} WHERE s.deleted = 0 AND search_fts MATCH ? AND ${visible} ORDER BY search_fts.rowid DESC LIMIT 21`,
};
const time = (sql, match) => {
  const st = db.prepare(sql);
  st.all(match);
  const t = performance.now();
  st.all(match);
  return (performance.now() - t).toFixed(1);
};
const docs = (match) => db.prepare("SELECT COUNT(*) AS n FROM search_fts WHERE search_fts MATCH ?").get(match).n;
const queries = [
  ...[0, 5, 20, 100, 1000, 4000].map((r) => [`word of rank ${r}`, `body : "${VOCABULARY[r]}" *`]),
  ["2-letter prefix", 'body : "pé" *'],
  ["CJK 東京", 'cjk : "東京"'],
  ["common AND rare", `body : "${VOCABULARY[0]}" * AND body : "${VOCABULARY[3000]}" *`],
  ["common NOT common", `(body : "${VOCABULARY[0]}" *) NOT (body : "${VOCABULARY[1]}" *)`],
];
console.log(`| query | matches | ${Object.keys(shapes).join(" | ")} (ms) |`);
console.log(
  `|---|---|${Object.keys(shapes)
    .map(() => "---|")
    .join("")}`,
);
for (const [label, match] of queries)
  console.log(
    `| ${label} | ${docs(match)} | ${Object.values(shapes)
      .map((sql) => time(sql, match))
      .join(" | ")} |`,
  );
