import { env } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createChannel, expectStatus, sent, workspace } from "../channelFixtures";
import { call } from "../helpers";

// Every /admin/* route, as the OpenAPI document lists them (so a new route is covered the day it
// is added), answers members and guests 403 `admin_required`, whatever the path ids, query and
// body, and changes nothing: the audit log, users, invites and reports stay as they were.

type Operation = { method: string; path: string };

async function adminOperations(): Promise<Operation[]> {
  const doc = expectStatus(await call("GET", "/openapi.json"), 200) as { paths: Record<string, Record<string, unknown>> };
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    if (!path.startsWith("/admin/")) continue;
    for (const method of Object.keys(item)) if (["get", "post", "put", "patch", "delete"].includes(method)) ops.push({ method, path });
  }
  return ops;
}

const snapshot = async () =>
  (
    await env.DB.batch([
      env.DB.prepare("SELECT COUNT(*) AS n, MAX(id) AS last FROM audit_log"),
      env.DB.prepare("SELECT id, role, deactivated, muted_until FROM users ORDER BY id"),
      env.DB.prepare("SELECT id, revoked_at, used_by FROM invites ORDER BY id"),
      env.DB.prepare("SELECT id, status FROM reports ORDER BY id"),
      env.DB.prepare("SELECT * FROM workspace_settings"),
      env.DB.prepare("SELECT id, status FROM exports ORDER BY id"),
    ])
  ).map((r) => r.results);

describe("/admin/* refuses members and guests", () => {
  it("every admin route in the OpenAPI document answers 403 admin_required and changes nothing", async () => {
    const { owner, alice, bob, guest, admin } = await workspace();
    const ops = await adminOperations();
    // The routes this suite must see (a route dropped from the document would shrink the test silently).
    for (const expected of [
      "patch /admin/users/{user_id}",
      "get /admin/audit",
      "get /admin/reports",
      "post /admin/reports/{report_id}/resolve",
      "post /admin/users/{user_id}/mute",
      "delete /admin/channels/{channel_id}/messages/{message_id}",
      "get /admin/stats",
      "put /admin/retention",
      "get /admin/invites",
      "delete /admin/invites/{invite_id}",
    ])
      expect(ops.map((o) => `${o.method} ${o.path}`)).toContain(expected);

    const channel = await createChannel(alice);
    const message = await sent(alice, channel.id, "reported");
    const report = expectStatus(
      await call("POST", `/channels/${channel.id}/messages/${message.id}/report`, { token: bob.token, body: { reason: "spam" } }),
      201,
    );
    const inviteId = expectStatus(await call("POST", "/admin/invites", { token: admin.token, body: {} }), 201).id;
    const real: Record<string, string[]> = {
      user_id: [owner.user.id, admin.user.id, alice.user.id, bob.user.id, guest.user.id],
      channel_id: [channel.id],
      message_id: [message.id],
      report_id: [report.id],
      invite_id: [inviteId],
    };
    const before = await snapshot();

    const body = fc.oneof(
      fc.constant(undefined),
      fc.constant({}),
      fc.record({ role: fc.constantFrom("owner", "admin", "member", "guest") }),
      fc.record({ action: fc.constantFrom("dismiss", "delete_message", "deactivate_user") }),
      fc.record({ minutes: fc.integer({ min: -5, max: 100_000 }) }),
      fc.record({ message_days: fc.option(fc.integer({ min: 0, max: 400 })), file_days: fc.option(fc.integer({ min: 0, max: 400 })) }),
      fc.jsonValue({ maxDepth: 2 }),
    );
    const query = fc.constantFrom("", "?limit=1", "?status=open", "?cursor=zzz", "?action=user.deactivated&limit=500");

    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ops),
        fc.constantFrom(alice, guest),
        body,
        query,
        // Which id each path parameter gets: a real one of its kind, mostly, or one that names nothing.
        fc.array(fc.nat(1_000_000), { minLength: 2, maxLength: 2 }),
        async (op, caller, json, q, picks) => {
          let i = 0;
          const path = op.path.replace(/\{(\w+)\}/g, (_, name: string) => {
            const pool = real[name] ?? ["x"];
            const n = picks[i++] ?? 0;
            return n % 5 === 0 ? `zz${n}` : (pool[n % pool.length] as string);
          });
          const reply = await call(op.method.toUpperCase(), `${path}${op.method === "get" ? q : ""}`, {
            token: caller.token,
            body: op.method === "get" || op.method === "delete" ? undefined : json,
          });
          expect({ op: `${op.method} ${path}`, status: reply.status, code: reply.body?.code }).toEqual({
            op: `${op.method} ${path}`,
            status: 403,
            code: "admin_required",
          });
        },
      ),
      { numRuns: 150 },
    );
    expect(await snapshot()).toEqual(before);
  });
});
