import { conflict, forbidden, notFound } from "../../src/lib/ColinkError";
import type { Channel, MemberList, MemberListQuery } from "../../src/protocol/channels";
import { isAdminRole } from "../../src/protocol/roles";
import type { RoomCore } from "./RoomCore";
import { channelJson, isDm, type MetaRow } from "./RoomMeta";
import { archivedError, channelNotFound } from "./roomErrors";
import type { Actor, NewMember } from "./rpcTypes";

/** Who is in the channel: joining, adding, leaving and removing, each announced as `member.joined` / `member.left`. */
export class Membership {
  constructor(private readonly room: RoomCore) {}

  /** Joins a public channel; joining one you are in is a no-op. Guests and private channels: 404. */
  join(actor: Actor, username: string): { channel: Channel; joined: boolean } {
    const meta = this.room.meta.require();
    if (this.room.access.see(meta, actor)) return { channel: channelJson(meta), joined: false };
    if (meta.archived) throw archivedError();
    this.addNow(meta, [{ user_id: actor.id, username, role: "member" }]);
    return { channel: channelJson(meta), joined: true };
  }

  /** A member adds others (guests may not); adding someone already in is a no-op. DMs are fixed. */
  add(actor: Actor, users: { user_id: string; username: string }[]): { channel: Channel; added: string[] } {
    const meta = this.room.meta.require();
    this.room.access.requireMember(meta, actor);
    if (actor.role === "guest") throw forbidden("Guests cannot add people to channels.", "guest_not_allowed");
    if (isDm(meta)) throw conflict("dm_membership_fixed", "People cannot be added to a DM; open a new one.");
    if (meta.archived) throw archivedError();
    const fresh = users.filter((u, i) => users.findIndex((v) => v.user_id === u.user_id) === i && !this.room.members.has(u.user_id));
    this.addNow(
      meta,
      fresh.map((u) => ({ ...u, role: "member" })),
    );
    return { channel: channelJson(meta), added: fresh.map((u) => u.user_id) };
  }

  /** Puts a participant back into a DM they left (reopening it). Only the DM service calls this. */
  restoreDmMember(user: { user_id: string; username: string }): { channel: Channel; added: boolean } {
    const meta = this.room.meta.require();
    if (!isDm(meta)) throw channelNotFound();
    if (this.room.members.has(user.user_id)) return { channel: channelJson(meta), added: false };
    this.addNow(meta, [{ ...user, role: "member" }]);
    return { channel: channelJson(meta), added: true };
  }

  /**
   * Removes a member: themselves (leaving; a 1:1 DM cannot be left), or someone else (a channel
   * admin or workspace admin; audited). They are off the online list before `member.left` fans
   * out, so they receive nothing more from this channel, and they stop following its threads.
   */
  remove(actor: Actor, userId: string): { channel: Channel; removed: boolean } {
    const { meta: metaStore, access, members } = this.room;
    const meta = metaStore.require();
    const member = access.see(meta, actor);
    if (userId === actor.id) {
      if (meta.kind === "dm") throw conflict("cannot_leave_dm", "A DM between two people cannot be left.");
      if (!member) return { channel: channelJson(meta), removed: false };
    } else {
      if (isDm(meta)) throw conflict("dm_membership_fixed", "People cannot be removed from a DM.");
      if (!access.isManager(meta, actor, member))
        throw forbidden("Only channel admins or workspace admins may remove members.", "not_channel_admin");
      if (!members.has(userId)) throw notFound("member");
    }
    this.removeNow(meta, actor, userId);
    return { channel: channelJson(meta), removed: true };
  }

  /** A workspace admin removes someone from any channel, private ones they are not in included (moderation; audited). */
  moderatorRemove(actor: Actor, userId: string): { channel: Channel; removed: boolean } {
    const meta = this.room.meta.require();
    if (!isAdminRole(actor.role)) throw channelNotFound();
    if (meta.kind === "dm") throw conflict("dm_membership_fixed", "People cannot be removed from a DM.");
    if (!this.room.members.has(userId)) throw notFound("member");
    this.removeNow(meta, actor, userId);
    return { channel: channelJson(meta), removed: true };
  }

  private removeNow(meta: MetaRow, actor: Actor, userId: string): void {
    const at = new Date();
    this.room.commit(
      (emit) => {
        this.room.members.remove(userId);
        this.room.threads.forget(userId);
        meta.member_count -= 1;
        emit("member.left", { user_id: userId }, at);
        if (userId !== actor.id)
          this.room.outbox.audit(
            {
              actorId: actor.id,
              action: "member.removed",
              target: { type: "user", id: userId },
              details: { channel_id: meta.channel_id },
              requestId: actor.requestId ?? null,
            },
            at,
          );
      },
      () => this.room.goOffline(userId),
    );
  }

  list(actor: Actor, query: MemberListQuery): MemberList {
    this.room.access.see(this.room.meta.require(), actor);
    return this.room.members.page(query);
  }

  /**
   * Inserts a member (see MemberStore.insert: they start online). Call inside a transaction, then
   * put them on the online list.
   */
  insert(m: NewMember, lastReadSeq: number, joinedAt: string): void {
    this.room.members.insert(m, lastReadSeq, joinedAt);
  }

  /** Adds members and announces each (to them too: they start online). */
  private addNow(meta: MetaRow, members: NewMember[]): void {
    if (members.length === 0) return;
    const at = new Date();
    const joinedAt = at.toISOString();
    this.room.commit(
      (emit) => {
        for (const m of members) {
          this.insert(m, meta.last_message_seq, joinedAt);
          meta.member_count += 1;
          emit("member.joined", { user_id: m.user_id, role: m.role, joined_at: joinedAt }, at);
        }
      },
      () => {
        for (const m of members) this.room.online.add(m.user_id);
      },
    );
  }
}
