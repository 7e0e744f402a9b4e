import { MAX_REPLY_USER_IDS, type Mentions, type Message } from "../../src/protocol/messages";
import type { ThreadState } from "../../src/protocol/threads";
import { type MessageRow, mentionsOf, replyUserIds } from "./MessageStore";

/** A thread root's summary, as stored on its `messages` row. */
export type ThreadSummary = { reply_count: number; last_reply_at: string | null; reply_user_ids: string };

/** A member's standing in one thread. */
export type Follower = { following: boolean; last_read_seq: number };

/** How a user comes to follow a thread automatically. */
export type AutoFollow =
  /** They replied or were mentioned in a reply: they follow again even after unfollowing. */
  | "acted"
  /** They wrote the root or were mentioned in it: they follow unless they unfollowed on purpose. */
  | "involved";

/**
 * Thread summaries and followers of a ChannelRoom. The room authorizes, checks that ids name
 * members, and runs these inside the transaction that appends the matching events.
 */
export class ThreadStore {
  constructor(private readonly sql: SqlStorage) {}

  /** The summary once one more reply by `authorId` at `at` is counted (incremental: O(1) per reply). */
  withReply(root: ThreadSummary, authorId: string, at: string): ThreadSummary {
    const previous = replyUserIds(root.reply_user_ids).filter((id) => id !== authorId);
    return {
      reply_count: root.reply_count + 1,
      last_reply_at: at,
      reply_user_ids: JSON.stringify([authorId, ...previous].slice(0, MAX_REPLY_USER_IDS)),
    };
  }

  /** The summary counted from the replies that are not deleted (after a deletion). */
  recount(rootId: string): ThreadSummary {
    const { n } = this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM messages WHERE thread_root_id = ? AND deleted = 0", rootId).one();
    const last = this.sql
      .exec<{ created_at: string }>(
        "SELECT created_at FROM messages WHERE thread_root_id = ? AND deleted = 0 ORDER BY seq DESC LIMIT 1",
        rootId,
      )
      .toArray()[0];
    const authors = this.sql
      .exec<{ author_id: string }>(
        `SELECT author_id FROM messages WHERE thread_root_id = ? AND deleted = 0
         GROUP BY author_id ORDER BY MAX(seq) DESC LIMIT ?`,
        rootId,
        MAX_REPLY_USER_IDS,
      )
      .toArray()
      .map((r) => r.author_id);
    return { reply_count: n, last_reply_at: last?.created_at ?? null, reply_user_ids: JSON.stringify(authors) };
  }

  writeSummary(rootSeq: number, summary: ThreadSummary): void {
    this.sql.exec(
      "UPDATE messages SET reply_count = ?, last_reply_at = ?, reply_user_ids = ? WHERE seq = ?",
      summary.reply_count,
      summary.last_reply_at,
      summary.reply_user_ids,
      rootSeq,
    );
  }

  follower(rootId: string, userId: string): Follower {
    const row = this.sql
      .exec<{ following: number | null; last_read_seq: number }>(
        "SELECT following, last_read_seq FROM thread_followers WHERE root_id = ? AND user_id = ?",
        rootId,
        userId,
      )
      .toArray()[0];
    return { following: row?.following === 1, last_read_seq: row?.last_read_seq ?? 0 };
  }

  /**
   * Makes `userId` follow as `how` allows, and moves their read marker up to `readThrough` (their
   * own reply). Returns whether they started following.
   */
  autoFollow(rootId: string, userId: string, how: AutoFollow, readThrough = 0): boolean {
    const row = this.sql
      .exec<{ following: number | null }>("SELECT following FROM thread_followers WHERE root_id = ? AND user_id = ?", rootId, userId)
      .toArray()[0];
    const follows = row?.following === 1 || !(how === "involved" && row?.following === 0);
    this.upsert(rootId, userId, follows ? 1 : 0, readThrough);
    return follows && row?.following !== 1;
  }

  /**
   * Automatic following after a reply: its author (who has read the thread up to it) and the
   * members it mentions follow, even if they had unfollowed; the root's author and the members it
   * mentions follow unless they had unfollowed. Returns who started following. Call inside the
   * reply's transaction.
   */
  followOnReply(root: MessageRow, reply: MessageRow, mentions: Mentions, isMember: (userId: string) => boolean): string[] {
    const started = new Set<string>();
    const follow = (userId: string, how: AutoFollow, readThrough?: number) => {
      if (this.autoFollow(root.id, userId, how, readThrough)) started.add(userId);
    };
    follow(reply.author_id, "acted", reply.seq);
    for (const userId of mentions.user_ids) follow(userId, "acted");
    for (const userId of new Set([root.author_id, ...mentionsOf(root).user_ids])) if (isMember(userId)) follow(userId, "involved");
    return [...started];
  }

  /** A member's view of a thread: its root, whether they follow it, how far they have read. */
  state(root: Message, userId: string): ThreadState {
    const { following, last_read_seq } = this.follower(root.id, userId);
    return {
      channel_id: root.channel_id,
      root,
      following,
      last_read_seq,
      unread_reply_count: this.unreadReplies(root.id, userId, last_read_seq),
      last_reply_at: root.last_reply_at,
    };
  }

  /** Follow or unfollow on purpose; returns whether it changed. */
  setFollowing(rootId: string, userId: string, following: boolean): boolean {
    const changed = this.follower(rootId, userId).following !== following;
    this.upsert(rootId, userId, following ? 1 : 0, 0);
    return changed;
  }

  /** Moves a member's thread read marker forward (never back); returns whether it moved. */
  markRead(rootId: string, userId: string, seq: number): boolean {
    if (seq <= this.follower(rootId, userId).last_read_seq) return false;
    this.sql.exec(
      `INSERT INTO thread_followers (root_id, user_id, following, last_read_seq) VALUES (?, ?, NULL, ?)
       ON CONFLICT (root_id, user_id) DO UPDATE SET last_read_seq = excluded.last_read_seq`,
      rootId,
      userId,
      seq,
    );
    return true;
  }

  /** Followers who are still members, but `exceptUserId`: who a new reply is announced to. */
  followersToNotify(rootId: string, exceptUserId: string): string[] {
    return this.sql
      .exec<{ user_id: string }>(
        `SELECT f.user_id FROM thread_followers f JOIN members m ON m.user_id = f.user_id
         WHERE f.root_id = ? AND f.following = 1 AND f.user_id != ? ORDER BY f.user_id`,
        rootId,
        exceptUserId,
      )
      .toArray()
      .map((r) => r.user_id);
  }

  /** Replies by others after `afterSeq`, not deleted. */
  unreadReplies(rootId: string, userId: string, afterSeq: number): number {
    return this.sql
      .exec<{ n: number }>(
        "SELECT COUNT(*) AS n FROM messages WHERE thread_root_id = ? AND seq > ? AND deleted = 0 AND author_id != ?",
        rootId,
        afterSeq,
        userId,
      )
      .one().n;
  }

  /** The newest reply's seq (0 for none): a thread read marker goes no further. */
  lastReplySeq(rootId: string): number {
    return this.sql.exec<{ s: number | null }>("SELECT MAX(seq) AS s FROM messages WHERE thread_root_id = ?", rootId).one().s ?? 0;
  }

  /** The ids of the threads `userId` follows, newest activity first. */
  followedBy(userId: string, limit: number): { root_id: string; last_read_seq: number }[] {
    return this.sql
      .exec<{ root_id: string; last_read_seq: number }>(
        `SELECT f.root_id, f.last_read_seq FROM thread_followers f JOIN messages m ON m.id = f.root_id
         WHERE f.user_id = ? AND f.following = 1
         ORDER BY COALESCE(m.last_reply_at, m.created_at) DESC, m.seq DESC LIMIT ?`,
        userId,
        limit,
      )
      .toArray();
  }

  /** Forgets a member who left: they follow nothing here any more. */
  forget(userId: string): void {
    this.sql.exec("DELETE FROM thread_followers WHERE user_id = ?", userId);
  }

  private upsert(rootId: string, userId: string, following: 0 | 1, readThrough: number): void {
    this.sql.exec(
      `INSERT INTO thread_followers (root_id, user_id, following, last_read_seq) VALUES (?, ?, ?, ?)
       ON CONFLICT (root_id, user_id) DO UPDATE SET following = excluded.following,
         last_read_seq = MAX(last_read_seq, excluded.last_read_seq)`,
      rootId,
      userId,
      following,
      readThrough,
    );
  }
}
