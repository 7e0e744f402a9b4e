import { conflict } from "../../src/lib/ColinkError";
import type { Message } from "../../src/protocol/messages";
import { MAX_PINS_PER_CHANNEL, type Pin, type PinRemovedEventData } from "../../src/protocol/pins";
import type { MessageRow } from "./MessageStore";

export type PinRow = { id: number; seq: number; pinned_by: string; pinned_at: string };

/**
 * The `pins` rows of a ChannelRoom, by message seq; id orders them (newest pin first). The room
 * authorizes and runs writes inside its transactions, which append `pin.added` / `pin.removed`.
 */
export class PinStore {
  constructor(private readonly sql: SqlStorage) {}

  of(seq: number): PinRow | null {
    return this.sql.exec<PinRow>("SELECT * FROM pins WHERE seq = ?", seq).toArray()[0] ?? null;
  }

  /** The pins, newest first, and their messages (in seq order). */
  list(): { pins: PinRow[]; messages: MessageRow[] } {
    return {
      pins: this.sql.exec<PinRow>("SELECT * FROM pins ORDER BY id DESC").toArray(),
      messages: this.sql.exec<MessageRow>("SELECT * FROM messages WHERE seq IN (SELECT seq FROM pins) ORDER BY seq").toArray(),
    };
  }

  /** A 409 when the channel has as many pins as it keeps. */
  requireRoom(): void {
    const count = this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM pins").one().n;
    if (count >= MAX_PINS_PER_CHANNEL)
      throw conflict("too_many_pins", `A channel keeps at most ${MAX_PINS_PER_CHANNEL} pins; unpin one first.`);
  }

  /** Pins a message the caller checked is not pinned, after `requireRoom`. */
  add(seq: number, by: string, at: string): PinRow {
    return this.sql.exec<PinRow>("INSERT INTO pins (seq, pinned_by, pinned_at) VALUES (?, ?, ?) RETURNING *", seq, by, at).one();
  }

  remove(pin: PinRow): void {
    this.sql.exec("DELETE FROM pins WHERE id = ?", pin.id);
  }
}

export function pinJson(pin: PinRow, message: Message): Pin {
  return { message_id: message.id, pinned_by: pin.pinned_by, pinned_at: pin.pinned_at, message };
}

/** The `pin.removed` data for unpinning `message`. */
export function pinRemovedData(message: MessageRow, pin: PinRow, unpinnedBy: string): PinRemovedEventData {
  return { message_id: message.id, pinned_by: pin.pinned_by, pinned_at: pin.pinned_at, unpinned_by: unpinnedBy };
}
