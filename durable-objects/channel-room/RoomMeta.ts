import type { Channel } from "../../src/protocol/channels";
import { channelNotFound } from "./roomErrors";
import type { RoomInit } from "./rpcTypes";

/** The room's one `meta` row: what the channel is, and its message and event counters. */
export type MetaRow = {
  channel_id: string;
  kind: Channel["kind"];
  name: string | null;
  topic: string;
  purpose: string;
  archived: number;
  created_by: string;
  created_at: string;
  member_count: number;
  last_message_seq: number;
  last_event_seq: number;
  pruned_through: number;
};

/**
 * The meta row, read once per wake-up (undefined until then; null for a room never created). The
 * room is its only writer: changes update it in place beside their SQL, inside the room's
 * transaction, which calls `forget` if it rolls back.
 */
export class RoomMeta {
  private row: MetaRow | null | undefined;

  constructor(private readonly sql: SqlStorage) {}

  read(): MetaRow | null {
    if (this.row === undefined) this.row = this.sql.exec<MetaRow>("SELECT * FROM meta WHERE id = 1").toArray()[0] ?? null;
    return this.row;
  }

  /** An uncreated room is indistinguishable from a channel the caller may not see. */
  require(): MetaRow {
    const meta = this.read();
    if (!meta) throw channelNotFound();
    return meta;
  }

  forget(): void {
    this.row = undefined;
  }

  /** Writes the row of a new room (counts start at zero); `forget` afterwards, the members' inserts count them. */
  insert(channel: RoomInit["channel"]): void {
    this.sql.exec(
      `INSERT INTO meta (id, channel_id, kind, name, topic, purpose, created_by, created_at, member_count)
       VALUES (1, ?, ?, ?, ?, ?, ?, ?, 0)`,
      channel.id,
      channel.kind,
      channel.name,
      channel.topic,
      channel.purpose,
      channel.created_by,
      channel.created_at,
    );
  }

  update(meta: MetaRow, next: Pick<MetaRow, "name" | "topic" | "purpose">): void {
    this.sql.exec("UPDATE meta SET name = ?, topic = ?, purpose = ? WHERE id = 1", next.name, next.topic, next.purpose);
    Object.assign(meta, next);
  }

  setArchived(meta: MetaRow, archived: boolean): void {
    this.sql.exec("UPDATE meta SET archived = ? WHERE id = 1", archived ? 1 : 0);
    meta.archived = archived ? 1 : 0;
  }
}

export function isDm(meta: MetaRow): boolean {
  return meta.kind === "dm" || meta.kind === "group_dm";
}

export function channelJson(meta: MetaRow): Channel {
  return {
    id: meta.channel_id,
    kind: meta.kind,
    name: meta.name,
    topic: meta.topic,
    purpose: meta.purpose,
    archived: Boolean(meta.archived),
    created_by: meta.created_by,
    created_at: meta.created_at,
    member_count: meta.member_count,
  };
}
