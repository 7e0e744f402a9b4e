import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createDb } from "../../../src/db/client";
import { ABANDONED_UPLOAD_MS, STUCK_SCAN_MS, sweepFiles } from "../../../src/services/actions/fileSweep";
import { createFile, putBytes, scanned } from "../../fileFixtures";
import { call, registerOwner } from "../../helpers";

// The file sweep (cron): files stuck in `scanning` go on the queue again (a lost send, a crash),
// and uploads never completed are deleted after 24 h.

describe("sweepFiles", () => {
  it("re-enqueues a file stuck in scanning, which the real consumer then scans", async () => {
    const owner = await registerOwner();
    const created = (await createFile(owner, 5)).body;
    expect((await putBytes(created.upload.url, "hello")).status).toBe(204);
    const object = await env.FILES.head(`files/${created.file.id}`);
    // As if `complete` wrote the status and its queue send then failed.
    const long = new Date(Date.now() - STUCK_SCAN_MS - 1000).toISOString();
    await env.DB.prepare("UPDATE files SET status = 'scanning', etag = ?, scan_queued_at = ? WHERE id = ?")
      .bind(object?.etag, long, created.file.id)
      .run();
    const fresh = (await createFile(owner, 1)).body;
    expect(await sweepFiles(env, createDb(env.DB))).toEqual({ requeued: 1, abandoned: 0 });
    expect((await scanned(owner, created.file.id)).status).toBe("clean");
    // Not stuck any more: a second sweep leaves it alone.
    expect(await sweepFiles(env, createDb(env.DB))).toEqual({ requeued: 0, abandoned: 0 });
    expect((await call("GET", `/files/${fresh.file.id}`, { token: owner.token })).body.status).toBe("uploading");
  });

  it("deletes uploads never completed after 24 hours, bytes and all", async () => {
    const owner = await registerOwner();
    const old = (await createFile(owner, 3)).body;
    expect((await putBytes(old.upload.url, "abc")).status).toBe(204);
    const recent = (await createFile(owner, 3)).body;
    const dayAgo = new Date(Date.now() - ABANDONED_UPLOAD_MS - 1000).toISOString();
    await env.DB.prepare("UPDATE files SET created_at = ? WHERE id = ?").bind(dayAgo, old.file.id).run();
    expect(await sweepFiles(env, createDb(env.DB))).toEqual({ requeued: 0, abandoned: 1 });
    expect((await call("GET", `/files/${old.file.id}`, { token: owner.token })).status).toBe(404);
    expect(await env.FILES.head(`files/${old.file.id}`)).toBeNull();
    expect((await call("GET", `/files/${recent.file.id}`, { token: owner.token })).status).toBe(200);
  });
});
