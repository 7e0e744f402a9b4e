import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ChannelRoom } from "../../durable-objects/channel-room/ChannelRoom";
import type { PrunedMessage } from "../../durable-objects/channel-room/MessageRetention";
import type { RoomCore } from "../../durable-objects/channel-room/RoomCore";
import { createDb } from "../../src/db/client";
import { sweepRetention } from "../../src/services/actions/retentionSweep";
import { addMembers, allEvents, createChannel, expectStatus, pin, react, replied, sent, workspace } from "../channelFixtures";
import { scanned, uploadFile } from "../fileFixtures";
import { type Account, call, expectProblem } from "../helpers";
import { foundIds, waitUntilFound, waitUntilIndexed } from "../searchFixtures";
import { openLiveSocket } from "../socketClient";

// Message retention, run from each ChannelRoom's alarm with a controlled clock: what is older than
// message_days is gone for real (history, replies, reactions, pins, event payloads), seq stays
// gap-free, the pruned messages leave the search index (through the room's search outbox), and
// files no surviving message carries are deleted, bytes and all, by the retention sweep.

const DAY_MS = 86_400_000;
const room = (channelId: string) => env.CHANNEL_ROOM.getByName(channelId);
const core = (instance: ChannelRoom) => (instance as unknown as { core: RoomCore }).core;

const setRetention = (as: Account, message_days: number | null, file_days: number | null = null) =>
  call("PUT", "/admin/retention", { token: as.token, body: { message_days, file_days } });

/** Makes the given messages (and the events of their channel up to `throughSeq`) look `days` old. */
async function age(channelId: string, messageIds: string[], days: number) {
  await runInDurableObject(room(channelId), (_: ChannelRoom, state) => {
    for (const id of messageIds) {
      const row = state.storage.sql.exec<{ created_at: string }>("SELECT created_at FROM messages WHERE id = ?", id).one();
      state.storage.sql.exec(
        "UPDATE messages SET created_at = ? WHERE id = ?",
        new Date(Date.parse(row.created_at) - days * DAY_MS).toISOString(),
        id,
      );
    }
  });
}

describe("message retention", () => {
  it("GET/PUT /admin/retention: admins only, N ≥ 1 or null, audited", async () => {
    const { owner, alice } = await workspace();
    expect(expectStatus(await call("GET", "/admin/retention", { token: owner.token }), 200)).toEqual({
      message_days: null,
      file_days: null,
    });
    expect(expectStatus(await setRetention(owner, 30, 90), 200)).toEqual({ message_days: 30, file_days: 90 });
    expect(expectStatus(await call("GET", "/admin/retention", { token: owner.token }), 200)).toEqual({ message_days: 30, file_days: 90 });
    expectProblem(await setRetention(owner, 0), 422, "validation_failed");
    expectProblem(await call("PUT", "/admin/retention", { token: owner.token, body: { message_days: 5 } }), 422, "validation_failed");
    expectProblem(await setRetention(alice, 1), 403, "admin_required");
    const audit = expectStatus(await call("GET", "/admin/audit?action=retention.changed", { token: owner.token }), 200);
    expect(audit.items).toEqual([
      expect.objectContaining({
        actor_id: owner.user.id,
        target: { type: "workspace", id: "retention" },
        details: { from: { message_days: null, file_days: null }, to: { message_days: 30, file_days: 90 } },
      }),
    ]);
  });

  it("deletes old messages for real, with their replies, reactions, pins and event payloads; seq stays gap-free", async () => {
    const { owner, alice, bob } = await workspace();
    const channel = await createChannel(alice);
    await addMembers(alice, channel.id, bob);
    const old = await sent(alice, channel.id, "old secret");
    const reply = await replied(bob, channel.id, old.id, "old reply secret");
    await react(bob, channel.id, old.id, "👍");
    expectStatus(await pin(alice, channel.id, old.id), 200);
    const kept = await sent(alice, channel.id, "recent");
    await react(alice, channel.id, kept.id, "🎉");
    const headBefore = (await allEvents(alice, channel.id)).at(-1).seq;
    await age(channel.id, [old.id, reply.id], 40);

    // Retention off: the check deletes nothing.
    const now = Date.now();
    await runInDurableObject(room(channel.id), (instance: ChannelRoom) => core(instance).retention.check(now));
    expect(expectStatus(await call("GET", `/channels/${channel.id}/messages`, { token: alice.token }), 200).items).toHaveLength(2);

    expectStatus(await setRetention(owner, 30), 200);
    const heard: PrunedMessage[] = [];
    const next = await runInDurableObject(room(channel.id), async (instance: ChannelRoom) => {
      core(instance).retention.onPruned.push((messages) => heard.push(...messages));
      // The alarm runs the check when it is due: run everything due a day from now (a controlled clock).
      const dueAt = core(instance).alarms.dueAt("message_retention");
      expect(dueAt).not.toBeNull();
      await core(instance).alarms.run(Math.max(dueAt ?? 0, now));
      return core(instance).alarms.dueAt("message_retention");
    });
    expect(next).toBeGreaterThan(now);
    expect(heard.map((m) => m.id).sort()).toEqual([old.id, reply.id].sort());

    // History, replies, pins: gone.
    const history = expectStatus(await call("GET", `/channels/${channel.id}/messages`, { token: alice.token }), 200);
    expect(history.items.map((m: { id: string }) => m.id)).toEqual([kept.id]);
    expectProblem(
      await call("GET", `/channels/${channel.id}/messages/${old.id}/replies`, { token: alice.token }),
      404,
      "message_not_found",
    );
    expect(expectStatus(await call("GET", `/channels/${channel.id}/pins`, { token: alice.token }), 200).items).toEqual([]);
    const leftovers = await runInDurableObject(room(channel.id), (_: ChannelRoom, state) => ({
      messages: state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM messages WHERE seq <= ?", reply.seq).one().n,
      reactions: state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM reactions WHERE seq IN (?, ?)", old.seq, reply.seq).one()
        .n,
      followers: state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM thread_followers WHERE root_id = ?", old.id).one().n,
      mentions: state.storage.sql
        .exec<{ n: number }>("SELECT COUNT(*) AS n FROM message_mentions WHERE seq IN (?, ?)", old.seq, reply.seq)
        .one().n,
    }));
    expect(leftovers).toEqual({ messages: 0, reactions: 0, followers: 0, mentions: 0 });

    // Events: every seq is still there, none carries the pruned text; those about the pruned messages are tombstones.
    const events = await allEvents(alice, channel.id);
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: headBefore }, (_, i) => i + 1));
    expect(JSON.stringify(events)).not.toContain("secret");
    const about = events.filter((e) => e.data?.id === old.id || e.data?.message_id === old.id || e.data?.id === reply.id);
    expect(about.length).toBeGreaterThan(0);
    for (const e of about) expect(e).toMatchObject({ type: "message.deleted", data: { deleted: true, text: "" } });
    expect(events.find((e) => e.type === "reaction.added" && e.data.message_id === kept.id)).toBeDefined();

    // A resume from before the pruned range replays the tombstones in order, never the content.
    const { ws, replay } = await openLiveSocket(bob.token, { user_seq: 0, channels: { [channel.id]: 0 } });
    ws.close();
    const frames = replay.filter((f) => f.channel_id === channel.id && "seq" in f);
    expect(frames.map((f) => f.seq)).toEqual(events.map((e) => e.seq));
    expect(JSON.stringify(frames)).not.toContain("secret");

    // The run is audited.
    await room(channel.id).flushDirectoryOutbox();
    const audit = expectStatus(await call("GET", `/admin/audit?action=retention.run&target_id=${channel.id}`, { token: owner.token }), 200);
    expect(audit.items).toEqual([
      expect.objectContaining({
        actor_id: null,
        target: { type: "channel", id: channel.id },
        details: expect.objectContaining({ messages: 2 }),
      }),
    ]);
  });

  it("a room gone quiet still prunes: the check is due a day after the last send, and again every day while messages remain", async () => {
    const { owner } = await workspace();
    const channel = await createChannel(owner);
    const before = Date.now();
    await sent(owner, channel.id, "hello");
    const due = await runInDurableObject(room(channel.id), (instance: ChannelRoom) => core(instance).alarms.dueAt("message_retention"));
    expect(due).toBeGreaterThanOrEqual(before + DAY_MS);
    expect(due).toBeLessThanOrEqual(Date.now() + DAY_MS);
    // One day later nothing is old enough under a 30-day window; the next check is a day on.
    expectStatus(await setRetention(owner, 30), 200);
    const later = (due ?? 0) + 1;
    const next = await runInDurableObject(room(channel.id), (instance: ChannelRoom) => core(instance).retention.check(later));
    expect(next).toBe(later + DAY_MS);
    // 31 days on, the message goes, and with no message left no check is due.
    const gone = before + 31 * DAY_MS;
    expect(await runInDurableObject(room(channel.id), (instance: ChannelRoom) => core(instance).retention.check(gone))).toBeNull();
    expect(expectStatus(await call("GET", `/channels/${channel.id}/messages`, { token: owner.token }), 200).items).toEqual([]);
  });

  it("a pruned message is gone from history, events, replies, search and file download; resume still gets channel.gap / resync_required", async () => {
    const { owner, alice, bob } = await workspace();
    const channel = await createChannel(alice);
    await addMembers(alice, channel.id, bob);
    const word = `zq${crypto.randomUUID().slice(0, 6)}`;
    const onlyOld = await uploadFile(alice, "bytes only an old message carries", { channel_id: channel.id, filename: "old.txt" });
    const shared = await uploadFile(alice, "bytes a recent message carries too", { channel_id: channel.id, filename: "shared.txt" });
    expect((await scanned(alice, onlyOld.id)).status).toBe("clean");
    expect((await scanned(alice, shared.id)).status).toBe("clean");
    const old = await sent(alice, channel.id, `${word} old secret`, { file_ids: [onlyOld.id, shared.id] });
    const reply = await replied(bob, channel.id, old.id, `${word} old reply secret`);
    // Enough old events that a resume from before them is past the inline limit.
    const limit = Number(env.REPLAY_INLINE_LIMIT);
    const filler: { id: string; seq: number }[] = [];
    for (let i = 0; i < limit; i += 20)
      filler.push(
        ...(await Promise.all(Array.from({ length: Math.min(20, limit - i) }, (_, j) => sent(alice, channel.id, `old filler ${i + j}`)))),
      );
    const kept = await sent(alice, channel.id, `${word} recent`, { file_ids: [shared.id] });
    for (const m of [old, reply, kept]) await waitUntilFound(bob, word, m.id);
    expect(expectStatus(await call("GET", `/files/${onlyOld.id}/content`, { token: bob.token }), 200)).toBe(
      "bytes only an old message carries",
    );
    await age(channel.id, [old.id, reply.id, ...filler.map((m) => m.id)], 40);

    expectStatus(await setRetention(owner, 30), 200);
    const now = Date.now();
    await runInDurableObject(room(channel.id), (instance: ChannelRoom) => core(instance).retention.check(now));

    // History and replies: gone.
    const history = expectStatus(await call("GET", `/channels/${channel.id}/messages`, { token: bob.token }), 200);
    expect(history.items.map((m: { id: string }) => m.id)).toEqual([kept.id]);
    expectProblem(await call("GET", `/channels/${channel.id}/messages/${old.id}/replies`, { token: bob.token }), 404, "message_not_found");

    // Search: the index rows are deletions (no text left in the FTS table), and nothing pruned is found.
    for (const m of [old, reply]) await waitUntilIndexed(m.id, (row) => row?.deleted === 1);
    const fts = await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM search_fts WHERE rowid IN (SELECT rowid FROM search_messages WHERE message_id IN (?, ?))",
    )
      .bind(old.id, reply.id)
      .first<{ n: number }>();
    expect(fts?.n).toBe(0);
    expect(await foundIds(bob, word)).toEqual([kept.id]);
    expect(await foundIds(bob, "secret")).toEqual([]);

    // Files: the one no surviving message carries is released to D1 (no longer posted in the
    // channel, so a reader no longer sees it) and the sweep deletes it, bytes and all; the one the
    // recent message carries stays.
    await room(channel.id).flushDirectoryOutbox();
    expectProblem(await call("GET", `/files/${onlyOld.id}`, { token: bob.token }), 404, "file_not_found");
    expect(await sweepRetention(env, createDb(env.DB))).toEqual({ files_unreferenced: 1, files_expired: 0, exports_expired: 0 });
    expectProblem(await call("GET", `/files/${onlyOld.id}/content`, { token: alice.token }), 404, "file_not_found");
    expect(await env.FILES.head(`files/${onlyOld.id}`)).toBeNull();
    expect(expectStatus(await call("GET", `/files/${shared.id}/content`, { token: bob.token }), 200)).toBe(
      "bytes a recent message carries too",
    );
    const sweepAudit = expectStatus(
      await call("GET", "/admin/audit?action=retention.run&target_id=retention", { token: owner.token }),
      200,
    );
    expect(sweepAudit.items).toEqual([
      expect.objectContaining({ actor_id: null, details: expect.objectContaining({ files_unreferenced: 1, file_ids: [onlyOld.id] }) }),
    ]);
    // A second sweep finds nothing to do.
    expect(await sweepRetention(env, createDb(env.DB))).toEqual({ files_unreferenced: 0, files_expired: 0, exports_expired: 0 });

    // Events: tombstones in place, gap-free, with nothing of the pruned content.
    const events = await allEvents(bob, channel.id);
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: events.length }, (_, i) => i + 1));
    expect(JSON.stringify(events)).not.toContain("secret");
    expect(JSON.stringify(events)).not.toContain("old filler");

    // Resume from before the pruned range: past the inline limit it is a channel.gap, as always.
    const behind = await openLiveSocket(bob.token, { user_seq: 0, channels: { [channel.id]: 0 } });
    behind.ws.close();
    expect(behind.replay.find((f) => f.type === "channel.gap")).toMatchObject({ channel_id: channel.id, after: 0 });
    expect(JSON.stringify(behind.replay)).not.toContain("secret");

    // Once the event log's own retention has dropped those tombstones too, the same cursor gets resync_required.
    expect(await room(channel.id).pruneExpiredEvents(now + 40 * DAY_MS)).toBeGreaterThan(0);
    const stale = await openLiveSocket(bob.token, { user_seq: 0, channels: { [channel.id]: 1 } });
    stale.ws.close();
    expect(stale.replay).toContainEqual({ type: "resync_required", channel_id: channel.id });
  });
});
