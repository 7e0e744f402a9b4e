/**
 * The `meta` table (key → value), read once per wake-up and kept in memory: presence reads it on
 * every connect and frame. A write that changes nothing costs nothing.
 */
export class SessionMeta {
  private readonly values = new Map<string, string>();

  constructor(private readonly sql: SqlStorage) {}

  /** At wake-up, after the migrations. */
  load(): void {
    for (const { key, value } of this.sql.exec<{ key: string; value: string }>("SELECT key, value FROM meta")) this.values.set(key, value);
  }

  get(key: string): string | null {
    return this.values.get(key) ?? null;
  }

  set(key: string, value: string): void {
    if (this.values.get(key) === value) return;
    this.values.set(key, value);
    this.sql.exec("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", key, value);
  }
}
