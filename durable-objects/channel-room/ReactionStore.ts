import { conflict } from "../../src/lib/ColinkError";
import { MAX_REACTIONS_PER_MESSAGE, type Reaction } from "../../src/protocol/messages";

/**
 * The `reactions` rows of a ChannelRoom, by message seq. Groups are listed in order of first use
 * and reactors in the order they reacted, which is also what a client gets by applying
 * `reaction.added` (append) and `reaction.removed` (remove; drop an empty group) in event order.
 * The ChannelRoom authorizes and runs writes inside its transactions.
 */
export class ReactionStore {
  constructor(private readonly sql: SqlStorage) {}

  /** The reactions of each of these messages (absent: none). */
  of(seqs: readonly number[]): Map<number, Reaction[]> {
    const bySeq = new Map<number, Reaction[]>();
    if (seqs.length === 0) return bySeq;
    // json_each keeps this one statement whatever the page size (DO SQL binds at most 100 values).
    const rows = this.sql.exec<{ seq: number; emoji: string; user_id: string }>(
      "SELECT seq, emoji, user_id FROM reactions WHERE seq IN (SELECT value FROM json_each(?)) ORDER BY seq, group_id, id",
      JSON.stringify(seqs),
    );
    for (const row of rows) {
      const list = bySeq.get(row.seq) ?? [];
      if (list.length === 0) bySeq.set(row.seq, list);
      const group = list.at(-1);
      if (group?.emoji === row.emoji) {
        group.count += 1;
        group.user_ids.push(row.user_id);
      } else list.push({ emoji: row.emoji, count: 1, user_ids: [row.user_id] });
    }
    return bySeq;
  }

  has(seq: number, emoji: string, userId: string): boolean {
    return this.sql.exec("SELECT 1 FROM reactions WHERE seq = ? AND emoji = ? AND user_id = ?", seq, emoji, userId).toArray().length > 0;
  }

  /** Adds a reaction the caller checked is absent; a new emoji beyond the cap is a 409. */
  add(seq: number, emoji: string, userId: string): void {
    const group = this.sql
      .exec<{ group_id: number }>("SELECT group_id FROM reactions WHERE seq = ? AND emoji = ? LIMIT 1", seq, emoji)
      .toArray()[0]?.group_id;
    if (group === undefined) {
      const distinct = this.sql.exec<{ n: number }>("SELECT COUNT(DISTINCT emoji) AS n FROM reactions WHERE seq = ?", seq).one().n;
      if (distinct >= MAX_REACTIONS_PER_MESSAGE)
        throw conflict("too_many_reactions", `A message takes at most ${MAX_REACTIONS_PER_MESSAGE} different reactions.`);
    }
    const id = this.sql
      .exec<{ id: number }>("INSERT INTO reactions (seq, emoji, user_id, group_id) VALUES (?, ?, ?, 0) RETURNING id", seq, emoji, userId)
      .one().id;
    this.sql.exec("UPDATE reactions SET group_id = ? WHERE id = ?", group ?? id, id);
  }

  remove(seq: number, emoji: string, userId: string): void {
    this.sql.exec("DELETE FROM reactions WHERE seq = ? AND emoji = ? AND user_id = ?", seq, emoji, userId);
  }

  /** Drops every reaction of a message (it was deleted). */
  clear(seq: number): void {
    this.sql.exec("DELETE FROM reactions WHERE seq = ?", seq);
  }
}
