import { forbidden, invalid } from "../../src/lib/ColinkError";
import type { UpdateChannelBody } from "../../src/protocol/channels";
import { isAdminRole } from "../../src/protocol/roles";
import type { MemberRow, MemberStore } from "./MemberStore";
import type { MessageRow, MessageStore } from "./MessageStore";
import { isDm, type MetaRow } from "./RoomMeta";
import { archivedError, channelNotFound, deletedError } from "./roomErrors";
import type { Actor } from "./rpcTypes";

/**
 * Who may read, post and manage in the room. Reading: members, and any non-guest in a public
 * channel; everyone else gets the 404 of a channel that does not exist. Posting, reacting,
 * editing, marking read: members. Managing (rename, archive, remove others, delete others'
 * messages): workspace admins anywhere they can see; in channels (not DMs) also channel admins
 * and the creator.
 */
export class RoomAccess {
  constructor(
    private readonly members: MemberStore,
    private readonly messages: MessageStore,
  ) {}

  /** Checks the actor may look, and returns their membership, if any. */
  see(meta: MetaRow, actor: Actor): MemberRow | null {
    const member = this.members.get(actor.id);
    if (member) return member;
    if (meta.kind === "public" && actor.role !== "guest") return null;
    throw channelNotFound();
  }

  requireMember(meta: MetaRow, actor: Actor): MemberRow {
    const member = this.see(meta, actor);
    if (!member) throw forbidden("Join the channel first.", "not_a_member");
    return member;
  }

  isManager(meta: MetaRow, actor: Actor, member: MemberRow | null): boolean {
    if (isAdminRole(actor.role)) return true;
    if (isDm(meta)) return false;
    return member?.role === "admin" || meta.created_by === actor.id;
  }

  /** Topic and purpose: any member; the name: managers (DMs have none); nothing while archived. */
  authorizeUpdate(meta: MetaRow, actor: Actor, patch: UpdateChannelBody): void {
    const member = this.see(meta, actor);
    const manager = this.isManager(meta, actor, member);
    if (!member && !manager) throw forbidden("Join the channel first.", "not_a_member");
    if (patch.name !== undefined && patch.name !== meta.name) {
      if (isDm(meta)) throw invalid("name", "DMs have no name.");
      if (!manager) throw forbidden("Only the channel's creator, its admins or a workspace admin may rename it.", "not_channel_admin");
    }
    if (meta.archived) throw archivedError();
  }

  /** A live message of an unarchived channel, for a member to react to or pin. */
  messageMembersMayMark(meta: MetaRow, actor: Actor, messageId: string): MessageRow {
    this.requireMember(meta, actor);
    const row = this.messages.require(messageId);
    if (row.deleted) throw deletedError();
    if (meta.archived) throw archivedError();
    return row;
  }
}
