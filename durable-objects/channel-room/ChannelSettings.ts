import { conflict, forbidden } from "../../src/lib/ColinkError";
import type { Channel, ChannelReadState, UpdateChannelBody } from "../../src/protocol/channels";
import type { RoomCore } from "./RoomCore";
import { channelJson, isDm, type MetaRow } from "./RoomMeta";
import { channelNotFound } from "./roomErrors";
import type { Actor } from "./rpcTypes";

/** The channel itself: what it is called and about, whether it is archived, and a member's read position in it. */
export class ChannelSettings {
  constructor(private readonly room: RoomCore) {}

  get(actor: Actor): Channel {
    const meta = this.room.meta.require();
    this.room.access.see(meta, actor);
    return channelJson(meta);
  }

  /**
   * Topic and purpose: any member. Name: the creator, a channel admin or a workspace admin (who
   * need not be members of a public channel). The caller has checked the name is free in the
   * directory (after `checkUpdate`) and mirrors the change there.
   */
  update(actor: Actor, patch: UpdateChannelBody): { channel: Channel; previousName: string | null } {
    const meta = this.room.meta.require();
    this.room.access.authorizeUpdate(meta, actor, patch);
    const next = { name: patch.name ?? meta.name, topic: patch.topic ?? meta.topic, purpose: patch.purpose ?? meta.purpose };
    const previousName = meta.name;
    if (next.name === meta.name && next.topic === meta.topic && next.purpose === meta.purpose)
      return { channel: channelJson(meta), previousName };
    return { channel: this.change(meta, next), previousName };
  }

  /** Whether `update(actor, patch)` would be allowed, without changing anything. */
  checkUpdate(actor: Actor, patch: UpdateChannelBody): Channel {
    const meta = this.room.meta.require();
    this.room.access.authorizeUpdate(meta, actor, patch);
    return channelJson(meta);
  }

  /** Undoes a rename the directory refused (the name was taken meanwhile), if nothing renamed it since. */
  restoreName(from: string, to: string | null): Channel {
    const meta = this.room.meta.require();
    if (meta.name !== from) return channelJson(meta);
    return this.change(meta, { name: to, topic: meta.topic, purpose: meta.purpose });
  }

  /** Archive or unarchive: the creator, a channel admin or a workspace admin. */
  setArchived(actor: Actor, archived: boolean): Channel {
    const { meta: metaStore, access } = this.room;
    const meta = metaStore.require();
    const member = access.see(meta, actor);
    if (isDm(meta)) throw conflict("dm_not_archivable", "DMs cannot be archived.");
    if (!access.isManager(meta, actor, member))
      throw forbidden("Only the channel's creator, its admins or a workspace admin may archive or unarchive it.", "not_channel_admin");
    if (Boolean(meta.archived) === archived)
      throw archived
        ? conflict("already_archived", "The channel is already archived.")
        : conflict("not_archived", "The channel is not archived.");
    const at = new Date();
    this.room.commit((emit) => {
      metaStore.setArchived(meta, archived);
      emit(archived ? "channel.archived" : "channel.unarchived", channelJson(meta), at);
      this.room.outbox.audit(
        {
          actorId: actor.id,
          action: archived ? "channel.archived" : "channel.unarchived",
          target: { type: "channel", id: meta.channel_id },
          details: { name: meta.name },
          requestId: actor.requestId ?? null,
        },
        at,
      );
    });
    return channelJson(meta);
  }

  /** Moves the member's read marker forward to `seq` (capped at the newest message); never back. */
  markRead(actor: Actor, seq: number): { state: ChannelReadState; moved: boolean } {
    const meta = this.room.meta.require();
    this.room.access.requireMember(meta, actor);
    const moved = this.room.members.markRead(actor.id, Math.min(seq, meta.last_message_seq));
    return { state: this.readStateOf(meta, actor.id), moved };
  }

  /** A member's position and counts, for "my channels". */
  readState(userId: string): ChannelReadState {
    const meta = this.room.meta.require();
    if (!this.room.members.has(userId)) throw channelNotFound();
    return this.readStateOf(meta, userId);
  }

  /**
   * A member's read state with the event head it is exact at (nothing about it changes without an
   * event, but their own read marker): what their UserSession caches for the channel list. Null
   * when they are not a member.
   */
  summary(userId: string): { state: ChannelReadState; head: number } | null {
    const meta = this.room.meta.read();
    if (!meta || !this.room.members.has(userId)) return null;
    return { state: this.readStateOf(meta, userId), head: meta.last_event_seq };
  }

  private readStateOf(meta: MetaRow, userId: string): ChannelReadState {
    const lastRead = this.room.members.lastRead(userId);
    const counts = this.room.messages.unreadCounts(userId, lastRead);
    return {
      channel: channelJson(meta),
      last_seq: meta.last_message_seq,
      last_read_seq: lastRead,
      unread_count: counts.unread,
      mention_count: counts.mentioned,
    };
  }

  private change(meta: MetaRow, next: { name: string | null; topic: string; purpose: string }): Channel {
    this.room.commit((emit) => {
      this.room.meta.update(meta, next);
      emit("channel.updated", channelJson(meta), new Date());
    });
    return channelJson(meta);
  }
}
