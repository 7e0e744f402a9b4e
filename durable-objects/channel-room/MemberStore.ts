import type { ChannelMember, MemberList, MemberListQuery } from "../../src/protocol/channels";
import type { Mentions } from "../../src/protocol/messages";
import type { ChannelRole } from "../../src/protocol/roles";
import { MAX_MENTION_NAMES, parseMentions } from "./parseMentions";
import type { NewMember } from "./rpcTypes";

export type MemberRow = { user_id: string; username: string; role: ChannelRole; online: number; joined_at: string };

/**
 * The `members` rows (authoritative for who may read and post) and each member's read marker.
 * Member ids are read once per wake-up and kept, like the meta row: online and replay calls ask
 * often. The room runs writes inside its transactions and calls `forget` if one rolls back.
 */
export class MemberStore {
  private ids: Set<string> | undefined;

  constructor(private readonly sql: SqlStorage) {}

  has(userId: string): boolean {
    this.ids ??= new Set(
      this.sql
        .exec<{ user_id: string }>("SELECT user_id FROM members")
        .toArray()
        .map((r) => r.user_id),
    );
    return this.ids.has(userId);
  }

  /** Every member's id (for DMs, a few). */
  all(): string[] {
    this.has("");
    return [...(this.ids ?? [])];
  }

  get(userId: string): MemberRow | null {
    return this.sql.exec<MemberRow>("SELECT * FROM members WHERE user_id = ?", userId).toArray()[0] ?? null;
  }

  forget(): void {
    this.ids = undefined;
  }

  /**
   * A new member starts with everything before `lastReadSeq` read, and online: their session may
   * hold a socket already, and it learns of the channel only later (`channel.added`). Until it
   * says otherwise, events are pushed; the first push that finds no socket takes them offline.
   * Counts them in the meta row's SQL; the caller moves the in-memory copy.
   */
  insert(m: NewMember, lastReadSeq: number, joinedAt: string): void {
    this.sql.exec(
      "INSERT INTO members (user_id, username, role, online, joined_at) VALUES (?, ?, ?, 1, ?)",
      m.user_id,
      m.username.toLowerCase(),
      m.role,
      joinedAt,
    );
    this.sql.exec(
      "INSERT INTO read_markers (user_id, last_read_seq) VALUES (?, ?) ON CONFLICT (user_id) DO UPDATE SET last_read_seq = excluded.last_read_seq",
      m.user_id,
      lastReadSeq,
    );
    this.sql.exec("UPDATE meta SET member_count = member_count + 1 WHERE id = 1");
    this.ids?.add(m.user_id);
  }

  /** Removes a member and their read marker, and uncounts them in the meta row's SQL. */
  remove(userId: string): void {
    this.sql.exec("DELETE FROM members WHERE user_id = ?", userId);
    this.ids?.delete(userId);
    this.sql.exec("DELETE FROM read_markers WHERE user_id = ?", userId);
    this.sql.exec("UPDATE meta SET member_count = member_count - 1 WHERE id = 1");
  }

  page(query: MemberListQuery): MemberList {
    const rows = this.sql
      .exec<MemberRow>("SELECT * FROM members WHERE user_id > ? ORDER BY user_id LIMIT ?", query.cursor ?? "", query.limit + 1)
      .toArray();
    const page = rows.slice(0, query.limit);
    return { items: page.map(memberJson), next_cursor: rows.length > query.limit ? (page.at(-1)?.user_id ?? null) : null };
  }

  lastRead(userId: string): number {
    return this.sql.exec<{ s: number }>("SELECT last_read_seq AS s FROM read_markers WHERE user_id = ?", userId).toArray()[0]?.s ?? 0;
  }

  /** Moves a read marker forward to `seq`; returns whether it moved (never back). */
  markRead(userId: string, seq: number): boolean {
    if (seq <= this.lastRead(userId)) return false;
    this.sql.exec("UPDATE read_markers SET last_read_seq = ? WHERE user_id = ?", seq, userId);
    return true;
  }

  /**
   * `@username` resolves among members only; `@here` notifies those `online` right now. Returns
   * the message's mentions and who to count a personal mention for (`@channel` is counted by flag).
   */
  resolveMentions(text: string, authorId: string, online: Iterable<string>): { mentions: Mentions; notify: string[] } {
    const tokens = parseMentions(text);
    const names = tokens.usernames.slice(0, MAX_MENTION_NAMES);
    const userIds =
      names.length === 0
        ? []
        : this.sql
            .exec<{ user_id: string }>(`SELECT user_id FROM members WHERE username IN (${names.map(() => "?").join(",")})`, ...names)
            .toArray()
            .map((r) => r.user_id);
    const notify = new Set(userIds);
    if (tokens.here) for (const userId of online) notify.add(userId);
    notify.delete(authorId);
    return { mentions: { user_ids: userIds, channel: tokens.channel, here: tokens.here }, notify: [...notify] };
  }
}

function memberJson(row: MemberRow): ChannelMember {
  return { user_id: row.user_id, role: row.role, joined_at: row.joined_at };
}
