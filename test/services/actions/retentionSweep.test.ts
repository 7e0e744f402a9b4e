import { createScheduledController, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../../src/index";
import { addMembers, allEvents, createChannel, expectStatus, sent, workspace } from "../../channelFixtures";
import { scanned, uploadFile } from "../../fileFixtures";
import { type Account, call, expectProblem } from "../../helpers";
import { foundIds, waitUntilFound } from "../../searchFixtures";

// The retention sweep (the 10-minute cron, run here through the Worker's scheduled handler, as the
// trigger runs it): files past the workspace's file_days are deleted for real (bytes, thumbnail,
// row) with `file.deleted` in the channels that showed them, and export archives past
// EXPORT_RETENTION_DAYS are deleted (the download is then 410 `export_expired`). Each run that
// deletes something is one `retention.run` audit row.

const DAY_MS = 86_400_000;
const sweep = () => worker.scheduled(createScheduledController({ cron: "*/10 * * * *", scheduledTime: Date.now() }), env);
const backdate = (table: "files" | "exports", column: string, id: string, days: number) =>
  env.DB.prepare(`UPDATE ${table} SET ${column} = ? WHERE id = ?`)
    .bind(new Date(Date.now() - days * DAY_MS).toISOString(), id)
    .run();
const sweepRuns = async (as: Account) =>
  expectStatus(await call("GET", "/admin/audit?action=retention.run&target_id=retention", { token: as.token }), 200).items;

async function finishedExport(as: Account): Promise<string> {
  const started = expectStatus(await call("POST", "/admin/exports", { token: as.token, body: {} }), 202);
  let status = "running";
  for (let i = 0; i < 200 && status === "running"; i++) {
    await new Promise((r) => setTimeout(r, 100));
    status = expectStatus(await call("GET", `/admin/exports/${started.id}`, { token: as.token }), 200).status;
  }
  expect(status).toBe("done");
  return started.id;
}

describe("retention sweep", () => {
  it("deletes files older than file_days for real, with file.deleted where they were posted; newer files stay", async () => {
    const { owner, alice, bob } = await workspace();
    const channel = await createChannel(alice);
    await addMembers(alice, channel.id, bob);
    const old = await uploadFile(alice, "an old report", { channel_id: channel.id, filename: "old.txt" });
    const recent = await uploadFile(alice, "a recent report", { channel_id: channel.id, filename: "recent.txt" });
    for (const f of [old, recent]) expect((await scanned(alice, f.id)).status).toBe("clean");
    const message = await sent(alice, channel.id, "two reports", { file_ids: [old.id, recent.id] });
    const lonely = await sent(alice, channel.id, "lonely report", { file_ids: [old.id] });
    await waitUntilFound(bob, "lonely has:file", lonely.id);
    await waitUntilFound(bob, "two has:file", message.id);
    // As if the scanner had made a thumbnail too.
    await env.FILES.put(`thumbnails/${old.id}`, "thumbnail bytes");
    await backdate("files", "created_at", old.id, 100);

    // file_days unset: the sweep deletes nothing and audits nothing.
    await sweep();
    expect((await call("GET", `/files/${old.id}`, { token: bob.token })).status).toBe(200);
    expect(await sweepRuns(owner)).toEqual([]);

    expectStatus(await call("PUT", "/admin/retention", { token: owner.token, body: { message_days: null, file_days: 90 } }), 200);
    await sweep();
    expectProblem(await call("GET", `/files/${old.id}`, { token: alice.token }), 404, "file_not_found");
    expectProblem(await call("GET", `/files/${old.id}/content`, { token: bob.token }), 404, "file_not_found");
    expect(await env.FILES.head(`files/${old.id}`)).toBeNull();
    expect(await env.FILES.head(`thumbnails/${old.id}`)).toBeNull();
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM file_posts WHERE file_id = ?").bind(old.id).first("n")).toBe(0);
    expect(expectStatus(await call("GET", `/files/${recent.id}/content`, { token: bob.token }), 200)).toBe("a recent report");

    // The channel heard of it, and the message no longer carries it.
    const events = await allEvents(bob, channel.id);
    expect(events.filter((e) => e.type === "file.deleted").map((e) => e.data)).toEqual([{ file_id: old.id }]);
    const history = expectStatus(await call("GET", `/channels/${channel.id}/messages`, { token: bob.token }), 200);
    expect(history.items.find((m: { id: string }) => m.id === message.id).files.map((f: { id: string }) => f.id)).toEqual([recent.id]);
    expect(history.items.find((m: { id: string }) => m.id === lonely.id).files).toEqual([]);
    // The index follows: the message left with no file is no longer found by has:file.
    const deadline = Date.now() + 15_000;
    while ((await foundIds(bob, "lonely has:file")).length > 0) {
      expect(Date.now()).toBeLessThan(deadline);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await foundIds(bob, "lonely")).toEqual([lonely.id]);
    expect(await foundIds(bob, "two has:file")).toEqual([message.id]);

    expect(await sweepRuns(owner)).toEqual([
      expect.objectContaining({
        actor_id: null,
        target: { type: "workspace", id: "retention" },
        details: expect.objectContaining({
          files_expired: 1,
          files_unreferenced: 0,
          exports_expired: 0,
          file_days: 90,
          file_ids: [old.id],
        }),
      }),
    ]);
    // Nothing left to do: no second audit row.
    await sweep();
    expect(await sweepRuns(owner)).toHaveLength(1);
  });

  it("deletes export archives EXPORT_RETENTION_DAYS after they were written; their download is then 410 export_expired", async () => {
    const { owner, alice } = await workspace();
    const channel = await createChannel(alice);
    await sent(alice, channel.id, "exported");
    const stale = await finishedExport(owner);
    const fresh = await finishedExport(owner);
    expect(await env.FILES.head(`exports/${stale}.zip`)).not.toBeNull();
    const days = Number(env.EXPORT_RETENTION_DAYS);
    expect(days).toBe(7);
    await backdate("exports", "finished_at", stale, days + 1);
    await backdate("exports", "finished_at", fresh, days - 1);

    await sweep();
    expect(expectStatus(await call("GET", `/admin/exports/${stale}`, { token: owner.token }), 200)).toEqual({
      id: stale,
      status: "expired",
    });
    expectProblem(await call("GET", `/admin/exports/${stale}/download`, { token: owner.token }), 410, "export_expired");
    expect(await env.FILES.head(`exports/${stale}.zip`)).toBeNull();
    // The younger one is still there.
    expect(expectStatus(await call("GET", `/admin/exports/${fresh}`, { token: owner.token }), 200).status).toBe("done");
    expect((await call("GET", `/admin/exports/${fresh}/download`, { token: owner.token })).status).toBe(200);
    // Only admins, as for every export route.
    expectProblem(await call("GET", `/admin/exports/${stale}/download`, { token: alice.token }), 403, "admin_required");

    expect(await sweepRuns(owner)).toEqual([
      expect.objectContaining({ details: expect.objectContaining({ exports_expired: 1, export_ids: [stale], files_expired: 0 }) }),
    ]);
  });
});
