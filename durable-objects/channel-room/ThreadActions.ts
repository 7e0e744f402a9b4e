import type { ThreadState } from "../../src/protocol/threads";
import type { MessageRow } from "./MessageStore";
import type { RoomCore } from "./RoomCore";
import type { MetaRow } from "./RoomMeta";
import type { Actor } from "./rpcTypes";

/** A member's threads: following on purpose, reading, and the ones they follow (no events: these are the member's own). */
export class ThreadActions {
  constructor(private readonly room: RoomCore) {}

  /** A member follows or unfollows a thread on purpose (idempotent; no event). Archived channels too. */
  setFollowing(actor: Actor, rootId: string, following: boolean): ThreadState {
    const meta = this.room.meta.require();
    this.room.access.requireMember(meta, actor);
    const root = this.room.messages.requireRoot(rootId);
    this.room.threads.setFollowing(root.id, actor.id, following);
    return this.stateOf(meta, root, actor.id);
  }

  /** Moves a member's read marker in a thread forward to `seq` (capped at its newest reply); never back. */
  markRead(actor: Actor, rootId: string, seq: number): { state: ThreadState; moved: boolean } {
    const meta = this.room.meta.require();
    this.room.access.requireMember(meta, actor);
    const root = this.room.messages.requireRoot(rootId);
    const { threads } = this.room;
    const moved = threads.markRead(root.id, actor.id, Math.min(seq, threads.lastReplySeq(root.id)));
    return { state: this.stateOf(meta, root, actor.id), moved };
  }

  /**
   * The threads of this channel a user follows, newest activity first: for "my threads", which
   * asks every room the directory names. Fails closed: someone who is not a member gets none.
   */
  followed(actor: Actor, limit: number): ThreadState[] {
    const meta = this.room.meta.require();
    if (!this.room.members.has(actor.id)) return [];
    return this.room.threads.followedBy(actor.id, limit).flatMap(({ root_id }) => {
      const root = this.room.messages.byId(root_id);
      return root ? [this.stateOf(meta, root, actor.id)] : [];
    });
  }

  private stateOf(meta: MetaRow, root: MessageRow, userId: string): ThreadState {
    return this.room.threads.state(this.room.messages.json(meta, root), userId);
  }
}
