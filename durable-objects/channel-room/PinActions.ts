import type { Pin } from "../../src/protocol/pins";
import { pinJson, pinRemovedData } from "./PinStore";
import type { RoomCore } from "./RoomCore";
import { archivedError } from "./roomErrors";
import type { Actor } from "./rpcTypes";

/** The channel's pinned messages: `pin.added` and `pin.removed`. */
export class PinActions {
  constructor(private readonly room: RoomCore) {}

  /** The channel's pins, newest first: for anyone who may read the channel. */
  list(actor: Actor): Pin[] {
    const meta = this.room.meta.require();
    this.room.access.see(meta, actor);
    const { pins, messages: rows } = this.room.pins.list();
    const messages = new Map(this.room.messages.jsonMany(meta, rows).map((m) => [m.seq, m]));
    return pins.flatMap((pin) => {
      const message = messages.get(pin.seq);
      return message ? [pinJson(pin, message)] : [];
    });
  }

  /** A member pins a message (idempotent: pinning it again returns the pin, no event): `pin.added`. */
  pin(actor: Actor, messageId: string): Pin {
    const meta = this.room.meta.require();
    const row = this.room.access.messageMembersMayMark(meta, actor, messageId);
    const { pins, messages } = this.room;
    const existing = pins.of(row.seq);
    if (existing) return pinJson(existing, messages.json(meta, row));
    pins.requireRoom();
    const now = Date.now();
    this.room.takeSendToken(actor, now);
    const at = new Date(now);
    return this.room.commit((emit) => {
      const pin = pinJson(pins.add(row.seq, actor.id, at.toISOString()), messages.json(meta, row));
      emit("pin.added", pin, at);
      return pin;
    });
  }

  /** A member unpins a message (idempotent: a message that is not pinned is a no-op): `pin.removed`. */
  unpin(actor: Actor, messageId: string): null {
    const meta = this.room.meta.require();
    this.room.access.requireMember(meta, actor);
    const row = this.room.messages.require(messageId);
    if (meta.archived) throw archivedError();
    const existing = this.room.pins.of(row.seq);
    if (!existing) return null;
    const now = Date.now();
    this.room.takeSendToken(actor, now);
    this.room.commit((emit) => {
      this.room.pins.remove(existing);
      emit("pin.removed", pinRemovedData(row, existing, actor.id), new Date(now));
    });
    return null;
  }
}
