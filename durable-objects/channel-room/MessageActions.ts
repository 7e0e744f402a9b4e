import { forbidden } from "../../src/lib/ColinkError";
import { newId } from "../../src/lib/ids";
import type { FileInfo } from "../../src/protocol/files";
import { hasContent, type Message, type MessageHistoryQuery, type MessagePage, type SendMessageBody } from "../../src/protocol/messages";
import { isAdminRole } from "../../src/protocol/roles";
import type { RepliesQuery, ReplyPage } from "../../src/protocol/threads";
import { type MessageRow, mentionsOf, NO_MENTIONS } from "./MessageStore";
import { pinRemovedData } from "./PinStore";
import type { RoomCore } from "./RoomCore";
import { isDm, type MetaRow } from "./RoomMeta";
import { archivedError, channelNotFound, deletedError, emptyMessage, invalidRoot } from "./roomErrors";
import type { Actor, EditedMessage, SentMessage } from "./rpcTypes";

/** Messages: sending (with thread replies), history, editing, deleting, and reactions to them. */
export class MessageActions {
  constructor(private readonly room: RoomCore) {}

  /**
   * Sends a message: members only, not in an archived channel, with text or files (`hasContent`:
   * the room holds the rule, whichever path sent it), within the author's send rate. A
   * retry with a `client_msg_id` already used by this author returns that message (`created:
   * false`); check and insert happen in one synchronous turn, so concurrent retries cannot race.
   *
   * A thread reply also moves its root's summary forward and makes its author, those it mentions,
   * and the root's author and mentions follow the thread, in the same transaction: it appends
   * `message.created` (the reply) then `message.updated` (the root).
   */
  send(actor: Actor, input: SendMessageBody, files: readonly FileInfo[] = []): SentMessage {
    const { meta: metaStore, access, messages, threads, members } = this.room;
    const meta = metaStore.require();
    access.requireMember(meta, actor);
    if (input.client_msg_id !== undefined) {
      const existing = messages.byClientMsgId(actor.id, input.client_msg_id);
      if (existing) return { message: messages.json(meta, existing), created: false, thread: null };
    }
    if (meta.archived) throw archivedError();
    if (!hasContent(input.text, files.length)) throw emptyMessage();
    const root = input.thread_root_id === undefined ? null : messages.byId(input.thread_root_id);
    if (input.thread_root_id !== undefined && (!root || root.deleted || root.thread_root_id !== null)) throw invalidRoot("thread_root_id");
    const now = Date.now();
    this.room.takeSendToken(actor, now);
    const at = new Date(now);
    const { mentions, notify } = members.resolveMentions(input.text, actor.id, this.room.online.ids());
    const row: MessageRow = {
      seq: meta.last_message_seq + 1,
      id: newId("m", now),
      author_id: actor.id,
      text: input.text,
      client_msg_id: input.client_msg_id ?? null,
      thread_root_id: root?.id ?? null,
      also_send_to_channel: root && input.also_send_to_channel ? 1 : 0,
      reply_count: 0,
      last_reply_at: null,
      reply_user_ids: "[]",
      mentions: JSON.stringify(mentions),
      edited_at: null,
      deleted: 0,
      created_at: at.toISOString(),
    };
    const message = messages.from(meta, row, mentions, [], [...files]);
    const thread = this.room.commit((emit) => {
      messages.insert(meta, row, notify, files);
      this.room.outbox.countMessage(at);
      this.room.retention.scheduleAfterSend(now);
      emit("message.created", message, at);
      if (!root) return null;
      const summary = threads.withReply(root, actor.id, row.created_at);
      threads.writeSummary(root.seq, summary);
      const newFollowers = threads.followOnReply(root, row, mentions, (userId) => members.has(userId));
      emit("message.updated", messages.json(meta, { ...root, ...summary }), at);
      return { root_id: root.id, new_followers: newFollowers, notify: threads.followersToNotify(root.id, actor.id) };
    });
    this.nudgeOffline(meta, notify, actor.id);
    return { message, created: true, thread };
  }

  /** Offline members a message mentions by name, or every other member of a DM, hear of it at once (OfflineNudges). */
  private nudgeOffline(meta: MetaRow, notify: readonly string[], authorId: string): void {
    const who = isDm(meta) ? this.room.members.all().filter((id) => id !== authorId) : notify;
    this.room.nudges.push(who, meta.last_event_seq);
  }

  /**
   * Channel history, newest first: top-level messages and replies also sent to the channel.
   * `before` pages backwards (down to `after`, if given); `after` alone pages forwards: the oldest
   * `limit` messages after it, still newest first.
   */
  history(actor: Actor, query: MessageHistoryQuery): MessagePage {
    const meta = this.room.meta.require();
    this.room.access.see(meta, actor);
    const { rows, hasMore } = this.room.messages.history(query);
    return { items: this.room.messages.jsonMany(meta, rows), has_more: hasMore };
  }

  /** One message, for a reader of the channel (reports): 404 for one they may not see. */
  get(actor: Actor, messageId: string): Message {
    const meta = this.room.meta.require();
    this.room.access.see(meta, actor);
    const row = this.room.messages.require(messageId);
    return this.room.messages.json(meta, row);
  }

  /**
   * Search results as the room has them now: the live messages among `ids`, if the actor may read
   * the channel (else the 404 of a channel they cannot see). The index is never trusted alone.
   */
  found(actor: Actor, ids: readonly string[]): Message[] {
    const meta = this.room.meta.require();
    this.room.access.see(meta, actor);
    return this.room.messages.jsonMany(meta, this.room.messages.liveByIds(ids));
  }

  /** A thread's replies after a message seq, oldest first (tombstones included). */
  replies(actor: Actor, rootId: string, query: RepliesQuery): ReplyPage {
    const meta = this.room.meta.require();
    this.room.access.see(meta, actor);
    this.room.messages.requireRoot(rootId);
    const { rows, hasMore } = this.room.messages.replies(rootId, query);
    return { items: this.room.messages.jsonMany(meta, rows), has_more: hasMore };
  }

  /**
   * The author edits their message's text; mentions are parsed again. The text may be emptied only
   * while the message carries files. Members a reply's edit newly
   * mentions follow its thread, as if the reply had mentioned them from the start.
   */
  edit(actor: Actor, messageId: string, text: string): EditedMessage {
    const { meta: metaStore, access, messages, threads, members } = this.room;
    const meta = metaStore.require();
    access.requireMember(meta, actor);
    const row = messages.require(messageId);
    if (row.author_id !== actor.id) throw forbidden("Only the author may edit a message.", "not_author");
    if (row.deleted) throw deletedError();
    if (meta.archived) throw archivedError();
    if (!hasContent(text, messages.filesOf(row.seq).length)) throw emptyMessage();
    if (row.text === text) return { message: messages.json(meta, row), thread: null };
    const at = new Date();
    const { mentions, notify } = members.resolveMentions(text, actor.id, this.room.online.ids());
    const edited: MessageRow = { ...row, text, mentions: JSON.stringify(mentions), edited_at: at.toISOString() };
    const message = messages.from(meta, edited, mentions, this.room.reactions.of([row.seq]).get(row.seq) ?? [], messages.filesOf(row.seq));
    const mentionedBefore = new Set(mentionsOf(row).user_ids);
    const rootId = row.thread_root_id;
    const newFollowers = this.room.commit((emit) => {
      messages.edit(edited, notify);
      const followers =
        rootId === null
          ? []
          : mentions.user_ids.filter((userId) => !mentionedBefore.has(userId) && threads.autoFollow(rootId, userId, "acted"));
      emit("message.updated", message, at);
      return followers;
    });
    this.nudgeOffline(meta, notify, actor.id);
    return { message, thread: rootId === null ? null : { root_id: rootId, new_followers: newFollowers } };
  }

  /**
   * The author, a channel admin or a workspace admin deletes a message: it stays in history as a
   * tombstone (empty text, no mentions or reactions, `deleted: true`) so `seq` stays gap-free.
   * Deleting a tombstone is a no-op. In the same transaction a pinned message is unpinned
   * (`pin.removed`) and a reply's root summary is counted again (`message.updated`); deleting
   * someone else's message is moderation, audited in that transaction too (DirectoryOutbox).
   */
  delete(actor: Actor, messageId: string): Message {
    const { meta: metaStore, access, messages } = this.room;
    const meta = metaStore.require();
    const member = access.see(meta, actor);
    const row = messages.require(messageId);
    if (row.author_id !== actor.id && !access.isManager(meta, actor, member))
      throw forbidden("Only the author, a channel admin or a workspace admin may delete a message.", "cannot_delete_message");
    if (meta.archived) throw archivedError();
    return this.deleteRow(meta, actor, row);
  }

  /**
   * A workspace admin deletes any message of any channel, DMs and private channels they are not
   * in included, archived ones too (moderation: /admin routes and report resolutions). Audited.
   */
  moderatorDelete(actor: Actor, messageId: string): Message {
    const meta = this.room.meta.require();
    if (!isAdminRole(actor.role)) throw channelNotFound();
    return this.deleteRow(meta, actor, this.room.messages.require(messageId));
  }

  private deleteRow(meta: MetaRow, actor: Actor, row: MessageRow): Message {
    const { messages, threads, pins } = this.room;
    if (row.deleted) return messages.json(meta, row);
    const at = new Date();
    const message = messages.from(meta, { ...row, text: "", mentions: JSON.stringify(NO_MENTIONS), deleted: 1 }, NO_MENTIONS, [], []);
    this.room.commit((emit) => {
      messages.tombstone(row.seq);
      emit("message.deleted", message, at);
      const pin = pins.of(row.seq);
      if (pin) {
        pins.remove(pin);
        emit("pin.removed", pinRemovedData(row, pin, actor.id), at);
      }
      const root = row.thread_root_id === null ? null : messages.byId(row.thread_root_id);
      if (root) {
        const summary = threads.recount(root.id);
        threads.writeSummary(root.seq, summary);
        emit("message.updated", messages.json(meta, { ...root, ...summary }), at);
      }
      if (row.author_id !== actor.id)
        this.room.outbox.audit(
          {
            actorId: actor.id,
            action: "message.deleted",
            target: { type: "message", id: row.id },
            details: { channel_id: meta.channel_id, author_id: row.author_id },
            requestId: actor.requestId ?? null,
          },
          at,
        );
    });
    return message;
  }

  /**
   * A member adds (`present`) or removes their reaction; `emoji` is canonical (the Worker made it
   * so). Idempotent: a repeat changes nothing and appends no event. Otherwise it appends
   * `reaction.added` or `reaction.removed`, and counts against the member's send rate.
   */
  setReaction(actor: Actor, messageId: string, emoji: string, present: boolean): Message {
    const meta = this.room.meta.require();
    const row = this.room.access.messageMembersMayMark(meta, actor, messageId);
    const { reactions } = this.room;
    if (reactions.has(row.seq, emoji, actor.id) === present) return this.room.messages.json(meta, row);
    const now = Date.now();
    this.room.takeSendToken(actor, now);
    this.room.commit((emit) => {
      if (present) reactions.add(row.seq, emoji, actor.id);
      else reactions.remove(row.seq, emoji, actor.id);
      const data = { message_id: row.id, message_seq: row.seq, emoji, user_id: actor.id };
      emit(present ? "reaction.added" : "reaction.removed", data, new Date(now));
    });
    return this.room.messages.json(meta, row);
  }
}
