import { z } from "zod";
import type { FileInfo } from "../../src/protocol/files";
import { type Mentions, MentionsSchema, type Message, type MessageHistoryQuery, type Reaction } from "../../src/protocol/messages";
import type { RepliesQuery } from "../../src/protocol/threads";
import type { FileStore } from "./FileStore";
import type { ReactionStore } from "./ReactionStore";
import type { MetaRow } from "./RoomMeta";
import { invalidRoot, messageNotFound } from "./roomErrors";

export type MessageRow = {
  seq: number;
  id: string;
  author_id: string;
  text: string;
  client_msg_id: string | null;
  thread_root_id: string | null;
  also_send_to_channel: number;
  reply_count: number;
  last_reply_at: string | null;
  /** JSON array of user ids. */
  reply_user_ids: string;
  mentions: string;
  edited_at: string | null;
  deleted: number;
  created_at: string;
};

export const NO_MENTIONS: Mentions = { user_ids: [], channel: false, here: false };

const ReplyUserIds = z.array(z.string());

/** A root's `reply_user_ids` column as the list it stores. */
export const replyUserIds = (json: string): string[] => ReplyUserIds.parse(JSON.parse(json));

/** What history shows: top-level messages and replies also sent to the channel (matches an index). */
const IN_CHANNEL_VIEW = "(thread_root_id IS NULL OR also_send_to_channel = 1)";

/**
 * The `messages` rows (history, replies, tombstones) and their `message_mentions`, and how a row
 * becomes the API's Message (with its reactions). The room authorizes and runs writes inside its
 * transactions, which append the matching events.
 */
export class MessageStore {
  constructor(
    private readonly sql: SqlStorage,
    private readonly reactions: ReactionStore,
    private readonly files: FileStore,
  ) {}

  byId(id: string): MessageRow | null {
    return this.sql.exec<MessageRow>("SELECT * FROM messages WHERE id = ?", id).toArray()[0] ?? null;
  }

  /** The live (not deleted) messages among these ids. */
  liveByIds(ids: readonly string[]): MessageRow[] {
    return this.sql
      .exec<MessageRow>("SELECT * FROM messages WHERE id IN (SELECT value FROM json_each(?)) AND deleted = 0", JSON.stringify(ids))
      .toArray();
  }

  require(id: string): MessageRow {
    const row = this.byId(id);
    if (!row) throw messageNotFound();
    return row;
  }

  /** A message that can have replies: any top-level one (deleted roots keep their thread). */
  requireRoot(id: string): MessageRow {
    const row = this.require(id);
    if (row.thread_root_id !== null) throw invalidRoot("message_id");
    return row;
  }

  /** The author's message sent with this `client_msg_id`, if any (a retried send). */
  byClientMsgId(authorId: string, clientMsgId: string): MessageRow | null {
    return (
      this.sql.exec<MessageRow>("SELECT * FROM messages WHERE author_id = ? AND client_msg_id = ?", authorId, clientMsgId).toArray()[0] ??
      null
    );
  }

  /**
   * Channel history, newest first. `before` pages backwards (down to `after`, if given); `after`
   * alone pages forwards: the oldest `limit` messages after it, still newest first.
   */
  history(query: MessageHistoryQuery): { rows: MessageRow[]; hasMore: boolean } {
    const take = query.limit + 1;
    const forwards = query.before === undefined && query.after !== undefined;
    const rows = forwards
      ? this.sql
          .exec<MessageRow>(`SELECT * FROM messages WHERE seq > ? AND ${IN_CHANNEL_VIEW} ORDER BY seq ASC LIMIT ?`, query.after, take)
          .toArray()
      : this.sql
          .exec<MessageRow>(
            `SELECT * FROM messages WHERE seq < ? AND seq > ? AND ${IN_CHANNEL_VIEW} ORDER BY seq DESC LIMIT ?`,
            query.before ?? Number.MAX_SAFE_INTEGER,
            query.after ?? 0,
            take,
          )
          .toArray();
    const page = rows.slice(0, query.limit);
    if (forwards) page.reverse();
    return { rows: page, hasMore: rows.length > query.limit };
  }

  /** A thread's replies after a message seq, oldest first (tombstones included). */
  replies(rootId: string, query: RepliesQuery): { rows: MessageRow[]; hasMore: boolean } {
    const rows = this.sql
      .exec<MessageRow>(
        "SELECT * FROM messages WHERE thread_root_id = ? AND seq > ? ORDER BY seq LIMIT ?",
        rootId,
        query.after,
        query.limit + 1,
      )
      .toArray();
    return { rows: rows.slice(0, query.limit), hasMore: rows.length > query.limit };
  }

  /** Stores a new message, its files and who it mentions personally, and moves the meta row's message seq. */
  insert(meta: MetaRow, row: MessageRow, notify: readonly string[], files: readonly FileInfo[] = []): void {
    this.sql.exec(
      `INSERT INTO messages (seq, id, author_id, text, client_msg_id, thread_root_id, also_send_to_channel, mentions, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      row.seq,
      row.id,
      row.author_id,
      row.text,
      row.client_msg_id,
      row.thread_root_id,
      row.also_send_to_channel,
      row.mentions,
      row.created_at,
    );
    this.writeMentions(row.seq, notify);
    this.files.attach(row.seq, files);
    this.sql.exec("UPDATE meta SET last_message_seq = ? WHERE id = 1", row.seq);
    meta.last_message_seq = row.seq;
  }

  /** Stores an edit (text, mentions, time) and who the new text mentions personally. */
  edit(edited: MessageRow, notify: readonly string[]): void {
    this.sql.exec(
      "UPDATE messages SET text = ?, mentions = ?, edited_at = ? WHERE seq = ?",
      edited.text,
      edited.mentions,
      edited.edited_at,
      edited.seq,
    );
    this.sql.exec("DELETE FROM message_mentions WHERE seq = ?", edited.seq);
    this.writeMentions(edited.seq, notify);
  }

  /** Makes a message its tombstone: empty text, no mentions, reactions or files (the files themselves stay). */
  tombstone(seq: number): void {
    this.sql.exec("UPDATE messages SET text = '', mentions = ?, deleted = 1 WHERE seq = ?", JSON.stringify(NO_MENTIONS), seq);
    this.sql.exec("DELETE FROM message_mentions WHERE seq = ?", seq);
    this.reactions.clear(seq);
    this.files.clear(seq);
  }

  /** A member's unread and mention counts after their read marker (their own messages do not count). */
  unreadCounts(userId: string, afterSeq: number): { unread: number; mentioned: number } {
    return this.sql
      .exec<{ unread: number; mentioned: number }>(
        `SELECT COALESCE(SUM(m.thread_root_id IS NULL OR m.also_send_to_channel = 1), 0) AS unread,
                COALESCE(SUM(json_extract(m.mentions, '$.channel') = 1
                  OR EXISTS (SELECT 1 FROM message_mentions mm WHERE mm.user_id = ? AND mm.seq = m.seq)), 0) AS mentioned
         FROM messages m WHERE m.seq > ? AND m.deleted = 0 AND m.author_id != ?`,
        userId,
        afterSeq,
        userId,
      )
      .one();
  }

  json(meta: MetaRow, row: MessageRow): Message {
    return this.from(meta, row, mentionsOf(row), this.reactions.of([row.seq]).get(row.seq) ?? [], this.filesOf(row.seq));
  }

  /** Many messages, with their reactions and files read in one query each. */
  jsonMany(meta: MetaRow, rows: MessageRow[]): Message[] {
    const seqs = rows.map((r) => r.seq);
    const reactions = this.reactions.of(seqs);
    const files = this.files.of(seqs);
    return rows.map((r) => this.from(meta, r, mentionsOf(r), reactions.get(r.seq) ?? [], files.get(r.seq) ?? []));
  }

  /** A message's files as last announced. */
  filesOf(seq: number): FileInfo[] {
    return this.files.of([seq]).get(seq) ?? [];
  }

  /** A row as the API's Message, with mentions, reactions and files the caller already has. */
  from(meta: MetaRow, row: MessageRow, mentions: Mentions, reactions: Reaction[], files: FileInfo[]): Message {
    return {
      id: row.id,
      channel_id: meta.channel_id,
      seq: row.seq,
      author_id: row.author_id,
      text: row.text,
      client_msg_id: row.client_msg_id,
      thread_root_id: row.thread_root_id,
      also_send_to_channel: Boolean(row.also_send_to_channel),
      reply_count: row.reply_count,
      last_reply_at: row.last_reply_at,
      reply_user_ids: replyUserIds(row.reply_user_ids),
      mentions,
      reactions,
      files: row.deleted ? [] : files,
      edited_at: row.edited_at,
      deleted: Boolean(row.deleted),
      created_at: row.created_at,
    };
  }

  private writeMentions(seq: number, userIds: readonly string[]): void {
    for (const userId of userIds) this.sql.exec("INSERT INTO message_mentions (user_id, seq) VALUES (?, ?)", userId, seq);
  }
}

/** A row's stored mentions. */
export function mentionsOf(row: MessageRow): Mentions {
  return MentionsSchema.parse(JSON.parse(row.mentions));
}
