import type { z } from "zod";
import {
  type ChannelEvent,
  isChannelEvent,
  isUserEvent,
  parseServerFrame,
  type ServerFrame,
  type UnknownChannelEvent,
} from "../../client/events.ts";
import { HttpClient } from "../../client/http.ts";
import { Session } from "../../client/session.ts";
import type { ClientFrame } from "../../src/protocol/frames.ts";

// The socket side of the Colink targets (colink.mjs, colink-socket.mjs), run by the generator's
// worker threads for thousands of sockets. It stays lean (no Realtime/EventSync per socket: the
// generator does its own bookkeeping of seqs, gaps and duplicates, which is what it measures), but
// it writes no frame of its own: frames are read by the SDK's parseServerFrame and written as the
// protocol's ClientFrame type (src/protocol/frames.ts), so a change to either fails the typecheck
// (`tsc -p test/e2e/tsconfig.json`) instead of silently measuring something else. Only the types
// come from src/protocol: zod is not loaded into the workers.

/** What clients write: the schema's input (fields with defaults may be left out). */
type Outgoing = z.input<typeof ClientFrame>;
const frame = (f: Outgoing): string => JSON.stringify(f);

/** A server frame, normalized for bench/lib/clientWorker.mjs (bench/targets/README.md). */
export type BenchFrame =
  | { k: "ev"; ch: string; seq: number; text: string | undefined }
  | { k: "ready"; userSeq: number }
  | { k: "pong" }
  | { k: "gap"; ch: string; after: number; until: number }
  | { k: "resync"; ch: string | null }
  | { k: "error"; code: string; detail: string; nack?: string }
  | { k: "user"; userSeq: number }
  | { k: "other"; ack?: string };

/** The socket a client opens: the SDK's API base, authorized by header as Realtime does in Node. */
export function socketEndpoint(baseUrl: string, token: string): { url: string; headers: Record<string, string> } {
  const apiBase = new HttpClient({ baseUrl, session: new Session() }).apiBase;
  return { url: `${apiBase.replace(/^http/, "ws")}/ws`, headers: { authorization: `Bearer ${token}` } };
}

export const pingFrame = frame({ type: "ping" });

export function resumeFrame(userSeq: number, cursors: Record<string, number>): string {
  return frame({ type: "resume", user_seq: userSeq, channels: cursors });
}

export function sendFrame(channelId: string, text: string, clientMsgId: string): string {
  return frame({ type: "send", channel_id: channelId, text, client_msg_id: clientMsgId });
}

export function normalizeEvent(f: ChannelEvent | UnknownChannelEvent): BenchFrame {
  const text = !("unknown" in f) && f.type === "message.created" ? f.data.text : undefined;
  return { k: "ev", ch: f.channel_id, seq: f.seq, text };
}

function read(text: string): ServerFrame {
  const f = parseServerFrame(text);
  // Not JSON, or missing what the SDK's bookkeeping needs: counted as a bad frame by the worker.
  if (!f) throw new Error(`not a frame the SDK reads: ${text.slice(0, 120)}`);
  return f;
}

function normalize(f: ServerFrame): BenchFrame {
  // A channel event of a type the SDK does not know yet still occupies its seq.
  if ("unknown" in f) return normalizeEvent(f);
  switch (f.type) {
    case "ready":
      return { k: "ready", userSeq: f.user_seq };
    case "pong":
      return { k: "pong" };
    case "channel.gap":
      return { k: "gap", ch: f.channel_id, after: f.after, until: f.until };
    case "resync_required":
      return { k: "resync", ch: f.channel_id ?? null };
    case "error":
      return { k: "error", code: f.code, detail: f.detail };
  }
  if (isChannelEvent(f)) return normalizeEvent(f);
  if (isUserEvent(f)) return { k: "user", userSeq: f.user_seq };
  return { k: "other" };
}

/** For sends over HTTP (colink.mjs): an `ack` is just another frame. */
export function parseFrame(text: string): BenchFrame {
  return normalize(read(text));
}

/** For sends on the socket (colink-socket.mjs): `ack` and a refused send name their client_msg_id. */
export function parseSocketSendFrame(text: string): BenchFrame {
  const f = read(text);
  if (!("unknown" in f)) {
    if (f.type === "ack") return { k: "other", ack: f.client_msg_id };
    // A refused send fails at once (with its problem code) instead of waiting out the ack timeout.
    if (f.type === "error" && f.client_msg_id) return { k: "error", code: f.code, detail: f.detail, nack: f.client_msg_id };
  }
  return normalize(f);
}
