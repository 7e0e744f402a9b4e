import { env, evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ChannelRoom } from "../../durable-objects/channel-room/ChannelRoom";
import type { RoomCore } from "../../durable-objects/channel-room/RoomCore";
import { batchesOf, SEARCH_OUTBOX_ALARM } from "../../durable-objects/channel-room/SearchOutbox";
import type { SearchIndexJob } from "../../src/protocol/search";
import { createChannel, sent, workspace } from "../channelFixtures";
import { foundIds, waitUntilFound } from "../searchFixtures";

// The ChannelRoom's search outbox: written in the transaction of each message change, flushed by
// the room's alarm, kept until the queue took the jobs, so a crash or a queue outage between the
// commit and the send loses no index job.

const room = (channelId: string) => env.CHANNEL_ROOM.getByName(channelId);
const coreOf = (instance: ChannelRoom) => (instance as unknown as { core: RoomCore }).core;

const outboxState = (channelId: string) =>
  runInDurableObject(room(channelId), (instance: ChannelRoom) => ({
    pending: coreOf(instance).searchOutbox.pending(),
    due: coreOf(instance).alarms.dueAt(SEARCH_OUTBOX_ALARM),
  }));

describe("search outbox", () => {
  it("keeps the job through a failing queue and a crash of the room, then delivers it", async () => {
    const { alice } = await workspace();
    const ch = await createChannel(alice);
    // The queue is down: every send fails.
    const attempts: number[] = [];
    await runInDurableObject(room(ch.id), (instance: ChannelRoom) => {
      coreOf(instance).searchOutbox.send = async () => {
        attempts.push(Date.now());
        throw new Error("queue unavailable");
      };
    });
    const m = await sent(alice, ch.id, "durable quokka");
    // The flush ran, failed, and is due again later; the row is still there.
    for (let i = 0; attempts.length === 0 && i < 100; i++) await new Promise((r) => setTimeout(r, 50));
    expect(attempts.length).toBeGreaterThan(0);
    const waiting = await outboxState(ch.id);
    expect(waiting.pending).toBe(1);
    expect(waiting.due).toBeGreaterThan(attempts[0] as number);
    expect(await foundIds(alice, "quokka")).toEqual([]);

    // The room crashes (its memory, and the broken sender with it, is gone) and starts again.
    await evictDurableObject(room(ch.id));
    expect((await outboxState(ch.id)).pending).toBe(1);
    // The retry is due a second after the failure; on a loaded machine it may already have fired
    // by itself, so the alarm is run here only if it has not.
    await runDurableObjectAlarm(room(ch.id));
    await waitUntilFound(alice, "quokka", m.id);
    expect(await outboxState(ch.id)).toEqual({ pending: 0, due: null });
  });

  it("writes its row in the message's own transaction: a change that rolls back leaves none", async () => {
    const { alice } = await workspace();
    const ch = await createChannel(alice);
    const pending = await runInDurableObject(room(ch.id), (instance: ChannelRoom) => {
      const core = coreOf(instance);
      const before = core.searchOutbox.pending();
      expect(() =>
        core.commit((emit) => {
          emit("message.created", { seq: 99 } as never, new Date());
          throw new Error("rolled back");
        }),
      ).toThrow("rolled back");
      return core.searchOutbox.pending() - before;
    });
    expect(pending).toBe(0);
  });

  it("sends a burst of changes as few batches, within the queue's limits", () => {
    const job = (text: string): SearchIndexJob => ({
      kind: "message",
      version: 1,
      doc: {
        message_id: "m_x",
        channel_id: "c_x",
        seq: 1,
        author_id: "u_x",
        created_at: "2026-01-01T00:00:00.000Z",
        thread_root_id: null,
        reply_count: 0,
        has_file: false,
        text,
        deleted: false,
      },
    });
    expect(batchesOf(Array.from({ length: 250 }, () => job("short"))).map((b) => b.length)).toEqual([100, 100, 50]);
    const big = batchesOf(Array.from({ length: 5 }, () => job("東".repeat(30_000))));
    expect(big.map((b) => b.length)).toEqual([2, 2, 1]);
    for (const b of big) expect(new TextEncoder().encode(JSON.stringify(b)).length).toBeLessThan(256_000);
  });
});
