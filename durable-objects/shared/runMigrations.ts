/**
 * Append-only SQLite migrations for a Durable Object, run in its constructor under
 * blockConcurrencyWhile. Each applied step is recorded with a checksum of its SQL; if the code's
 * history no longer matches what was applied (a step edited or removed), it refuses to start
 * rather than run on a schema it does not understand.
 */
export type Migration = { name: string; sql: string };

function checksum(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}

export function runMigrations(sql: SqlStorage, migrations: readonly Migration[]): void {
  sql.exec("CREATE TABLE IF NOT EXISTS _migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL)");
  const applied = sql
    .exec<{ id: number; name: string; checksum: string }>("SELECT id, name, checksum FROM _migrations ORDER BY id")
    .toArray();
  if (applied.length > migrations.length) throw new Error(`storage has ${applied.length} migrations, code knows ${migrations.length}`);
  applied.forEach((row, i) => {
    const m = migrations[i];
    if (!m || m.name !== row.name || checksum(m.sql) !== row.checksum)
      throw new Error(`migration history changed at step ${i} (${row.name})`);
  });
  for (let i = applied.length; i < migrations.length; i++) {
    const m = migrations[i] as Migration;
    sql.exec(m.sql);
    sql.exec("INSERT INTO _migrations (id, name, checksum) VALUES (?, ?, ?)", i, m.name, checksum(m.sql));
  }
}
