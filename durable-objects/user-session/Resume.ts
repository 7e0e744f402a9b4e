import { config } from "../../src/lib/config";
import { log } from "../../src/lib/log";
import { channelRoom } from "../../src/lib/stubs";
import { gapFrame, readyFrame, resyncFrame } from "../../src/protocol/frames";
import type { ReplayResult } from "../channel-room/rpcTypes";
import { OPEN, sendQuietly } from "../shared/sockets";
import type { SessionCore } from "./SessionCore";

/**
 * A socket's `resume`: replays what the client missed, then releases the live events held
 * meanwhile, dropping those the replay already covered, then says `ready`. Exactly once, in order,
 * per stream. Without a user cursor (a client with nothing to resume) the user stream is not
 * replayed: what was held since `ready` goes out as it is.
 */
export class Resume {
  constructor(private readonly core: SessionCore) {}

  async run(ws: WebSocket, afterUserSeq: number | null, cursors: Record<string, number>): Promise<void> {
    const { sockets, delivery, events, env } = this.core;
    const socketId = sockets.attachment(ws).id;
    delivery.beginResume(ws);
    try {
      // Our ChannelRooms must know we are online before we read their heads, so that every event
      // past a head reaches us live.
      await this.core.rooms.settled();
      const userHead = afterUserSeq === null ? 0 : events.head();
      // Without a cursor there is nothing to replay: the client starts from its `ready`.
      const out: string[] = afterUserSeq === null ? [] : events.replay(afterUserSeq);
      const heads = new Map<string, number>();
      const excluded = new Set<string>();
      const limit = config(env).REPLAY_INLINE_LIMIT;
      const entries = Object.entries(cursors);
      const userId = this.core.requireUserId();
      // Only channels the user is in reach a ChannelRoom: a made-up id must not create one.
      const mine = await this.core.channels.mine();
      const results = await Promise.all(
        entries.map(([channelId, after]) =>
          mine.has(channelId)
            ? channelRoom(env, channelId)
                .replay(userId, after, limit)
                .catch((error: unknown): ReplayResult => {
                  log("warn", "replay failed", { user_id: userId, channel_id: channelId, error });
                  return { kind: "resync" };
                })
            : ({ kind: "not_member" } as const),
        ),
      );
      entries.forEach(([channelId, after], i) => {
        const r = results[i] as ReplayResult;
        if (r.kind === "events" && after > r.head) out.push(resyncFrame(channelId));
        else if (r.kind === "events") {
          out.push(...r.frames);
          heads.set(channelId, r.head);
        } else if (r.kind === "gap") {
          out.push(gapFrame(channelId, after, r.until));
          heads.set(channelId, r.until);
        } else if (r.kind === "resync") out.push(resyncFrame(channelId));
        else excluded.add(channelId);
      });
      if (ws.readyState !== OPEN) return;
      for (const frame of out) sendQuietly(ws, frame);
      delivery.finishResume(ws, heads, { userHead, excluded });
      sendQuietly(ws, readyFrame(events.head()));
    } catch (error) {
      delivery.undoResume(ws);
      throw error;
    } finally {
      delivery.endResume(socketId);
    }
  }
}
