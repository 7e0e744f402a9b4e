import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { addMembers, createChannel, expectStatus, replied, sent, workspace } from "../channelFixtures";
import { call, expectProblem } from "../helpers";
import { foundIds, search, waitUntilFound, waitUntilIndexed } from "../searchFixtures";

// GET /search/messages and /search/channels (API.md "Search") through the real pipeline: the
// ChannelRoom's outbox, its alarm, the colink-search-index queue, the consumer, D1 FTS5.

describe("message search", () => {
  it("finds words by prefix, case- and accent-insensitively, with highlights as UTF-16 offsets", async () => {
    const { alice } = await workspace();
    const ch = await createChannel(alice);
    const m = await sent(alice, ch.id, "🚀 Déploiement of the DEPLOYMENT pipeline");
    const other = await sent(alice, ch.id, "nothing to see here");
    await waitUntilFound(alice, "deploy", m.id);
    await waitUntilFound(alice, "nothing", other.id);
    const reply = expectStatus(await search(alice, "deploiement"), 200);
    expect(reply.items).toHaveLength(1);
    const hit = reply.items[0];
    expect(hit.channel_id).toBe(ch.id);
    expect(hit.message).toMatchObject({ id: m.id, text: m.text, channel_id: ch.id });
    // "🚀 " is three UTF-16 code units.
    expect(hit.highlights).toEqual([{ start: 3, end: 14 }]);
    expect(m.text.slice(3, 14)).toBe("Déploiement");
    const both = expectStatus(await search(alice, "DÉPLO"), 200).items[0];
    expect(both.highlights.map((h: { start: number; end: number }) => m.text.slice(h.start, h.end))).toEqual(["Déploiement", "DEPLOYMENT"]);
    expect(await foundIds(alice, "pipeline nothing")).toEqual([]);
  });

  it("finds Chinese, Japanese and Korean words of two or more characters as substrings", async () => {
    const { alice } = await workspace();
    const ch = await createChannel(alice);
    const ja = await sent(alice, ch.id, "明日は東京本社で会議があります");
    const zh = await sent(alice, ch.id, "我们明天在北京开会，讨论会议记录");
    const ko = await sent(alice, ch.id, "내일 서울에서 회의가 있습니다");
    const mixed = await sent(alice, ch.id, "Tokyo東京 deploy会議");
    await waitUntilFound(alice, "회의", ko.id);
    expect(await foundIds(alice, "東京")).toEqual(expect.arrayContaining([ja.id, mixed.id]));
    expect(await foundIds(alice, "東京")).toHaveLength(2);
    expect((await foundIds(alice, "会議")).sort()).toEqual([ja.id, mixed.id].sort());
    expect(await foundIds(alice, "会议")).toEqual([zh.id]);
    expect(await foundIds(alice, "北京")).toEqual([zh.id]);
    expect(await foundIds(alice, "东京")).toEqual([]);
    expect(await foundIds(alice, "서울")).toEqual([ko.id]);
    expect(await foundIds(alice, "회의")).toEqual([ko.id]);
    // Longer substrings, across word boundaries of the language, and not across runs.
    expect(await foundIds(alice, "東京本社で会")).toEqual([ja.id]);
    expect(await foundIds(alice, "京本")).toEqual([ja.id]);
    expect(await foundIds(alice, "京会")).toEqual([]);
    const hit = expectStatus(await search(alice, "東京"), 200).items.find((i: { message: { id: string } }) => i.message.id === ja.id);
    expect(hit.highlights).toEqual([{ start: 3, end: 5 }]);
    expect(ja.text.slice(3, 5)).toBe("東京");
    expect(await foundIds(alice, "tokyo 会議")).toEqual([mixed.id]);
  });

  it("matches quoted phrases exactly and leaves out -excluded words and phrases", async () => {
    const { alice } = await workspace();
    const ch = await createChannel(alice);
    const a = await sent(alice, ch.id, "the release notes are ready");
    const b = await sent(alice, ch.id, "notes about the release");
    const c = await sent(alice, ch.id, "release party tonight");
    await waitUntilFound(alice, "party", c.id);
    expect(await foundIds(alice, '"release notes"')).toEqual([a.id]);
    expect((await foundIds(alice, "release notes")).sort()).toEqual([a.id, b.id].sort());
    expect((await foundIds(alice, "release -party")).sort()).toEqual([a.id, b.id].sort());
    expect(await foundIds(alice, 'release -"release notes" -party')).toEqual([b.id]);
    // A phrase is exact: no prefix on its last word.
    expect(await foundIds(alice, '"release note"')).toEqual([]);
  });

  it("never lets FTS5 syntax through: quotes, operators words and stray symbols are searched as text", async () => {
    const { alice } = await workspace();
    const ch = await createChannel(alice);
    const m = await sent(alice, ch.id, "AND OR NOT NEAR column: * ^ ( ) done");
    await waitUntilFound(alice, "done", m.id);
    for (const q of [
      "AND",
      "NOT",
      "NEAR(",
      '"',
      '""',
      '"unterminated phrase',
      "*",
      "^done",
      "done*",
      "(done",
      "col:umn",
      "-",
      "- done",
      'a"b',
      "{body}",
    ]) {
      const reply = await search(alice, q);
      expect([200, 422], `${q}: ${JSON.stringify(reply.body)}`).toContain(reply.status);
      if (reply.status === 422) expectProblem(reply, 422, "invalid_query");
    }
    expect(await foundIds(alice, "NOT")).toEqual([m.id]);
    expect(await foundIds(alice, "^done")).toEqual([m.id]);
  });

  it("answers 422 invalid_query for an unknown operator, a bad date or nothing to search for", async () => {
    const { alice } = await workspace();
    for (const q of [
      "foo:bar",
      "before:2026-02-30",
      "after:yesterday",
      "on:2026-1-1",
      "has:picture",
      "is:pinned",
      "",
      "   ",
      "-alone",
      "-from:@x",
      "!!!",
    ]) {
      expectProblem(await search(alice, q), 422, "invalid_query");
    }
    expectProblem(await call("GET", "/search/messages", { token: alice.token }), 400);
    expectProblem(await search(alice, "x", { sort: "oldest" }), 400);
    expectProblem(await search(alice, "x", { cursor: "garbage" }), 400, "invalid_cursor");
    expectProblem(await call("GET", "/search/messages?q=x"), 401);
  });

  it("finds an edited message by its new text only, and a deleted one never", async () => {
    const { alice } = await workspace();
    const ch = await createChannel(alice);
    const m = await sent(alice, ch.id, "original wording about apples");
    const gone = await sent(alice, ch.id, "apples to be deleted");
    await waitUntilFound(alice, "apples", gone.id);
    expectStatus(
      await call("PATCH", `/channels/${ch.id}/messages/${m.id}`, { token: alice.token, body: { text: "revised wording about pears" } }),
      200,
    );
    expectStatus(await call("DELETE", `/channels/${ch.id}/messages/${gone.id}`, { token: alice.token }), 204);
    // At once, before the index catches up: the rooms have the last word.
    expect(await foundIds(alice, "apples")).toEqual([]);
    await waitUntilFound(alice, "pears", m.id);
    await waitUntilIndexed(gone.id, (row) => row?.deleted === 1);
    expect(await foundIds(alice, "apples")).toEqual([]);
    expect(await foundIds(alice, "original")).toEqual([]);
    const hit = expectStatus(await search(alice, "pears"), 200).items[0];
    expect(hit.message).toMatchObject({ text: "revised wording about pears" });
    expect(hit.message.edited_at).not.toBeNull();
    // The index holds nothing of the old text or the deleted message.
    const fts = await env.DB.prepare("SELECT COUNT(*) AS n FROM search_fts WHERE search_fts MATCH 'apples'").first<{ n: number }>();
    expect(fts?.n).toBe(0);
  });

  it("filters with from:, in:, has:link, is:thread and the date operators", async () => {
    const { alice, bob } = await workspace();
    const ops = await createChannel(alice, { name: `ops-${crypto.randomUUID().slice(0, 6)}` });
    const dev = await createChannel(alice);
    await addMembers(alice, ops.id, bob);
    const a1 = await sent(alice, ops.id, "status update: all green");
    const b1 = await sent(bob, ops.id, "status update from bob, see https://example.com/report");
    const a2 = await sent(alice, dev.id, "status update in dev");
    const reply = await replied(bob, ops.id, a1.id, "status update reply in thread");
    await waitUntilFound(alice, "reply", reply.id);
    const sorted = async (q: string) => (await foundIds(alice, q, { limit: "100" })).sort();
    expect(await sorted(`status from:@${bob.user.username}`)).toEqual([b1.id, reply.id].sort());
    expect(await sorted(`status from:${alice.user.username}`)).toEqual([a1.id, a2.id].sort());
    expect(await sorted(`from:@${bob.user.username}`)).toEqual([b1.id, reply.id].sort());
    expect(await sorted("status from:@nobody-at-all")).toEqual([]);
    expect(await sorted(`status in:#${ops.name}`)).toEqual([a1.id, b1.id, reply.id].sort());
    expect(await sorted(`in:#${dev.name}`)).toEqual([a2.id]);
    expect(await sorted(`status in:#${ops.name} from:@${alice.user.username}`)).toEqual([a1.id]);
    expect(await sorted("status has:link")).toEqual([b1.id]);
    // A thread's root (once it has replies) and its replies.
    expect(await sorted("status is:thread")).toEqual([a1.id, reply.id].sort());
    expect(await sorted("status has:file")).toEqual([]);
    const today = new Date().toISOString().slice(0, 10);
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    expect(await sorted(`status on:${today}`)).toHaveLength(4);
    expect(await sorted(`status after:${yesterday}`)).toHaveLength(4);
    expect(await sorted(`status before:${tomorrow}`)).toHaveLength(4);
    expect(await sorted(`status before:${today}`)).toEqual([]);
    expect(await sorted(`status after:${today}`)).toEqual([]);
    expect(await sorted(`status on:${yesterday}`)).toEqual([]);
    expect(await sorted(`status after:${yesterday} before:${tomorrow} -bob -thread`)).toEqual([a1.id, a2.id].sort());
  });

  it("sorts by relevance or newest first, and pages with a cursor without duplicates or gaps", async () => {
    const { alice } = await workspace();
    const ch = await createChannel(alice);
    const ids: string[] = [];
    for (let i = 0; i < 12; i++)
      ids.push((await sent(alice, ch.id, `${"zebra ".repeat(1 + (i % 4))}number ${i} ${i === 5 ? "" : "filler words here"}`)).id);
    await waitUntilFound(alice, "zebra", ids.at(-1) as string);
    const late: string[] = [];
    for (const sort of ["relevance", "recent"]) {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: { items: { message: { id: string } }[]; next_cursor: string | null } = expectStatus(
          await search(alice, "zebra", { sort, limit: "5", ...(cursor ? { cursor } : {}) }),
          200,
        );
        seen.push(...page.items.map((i) => i.message.id));
        cursor = page.next_cursor;
        pages++;
        // A message sent meanwhile never shows up as a duplicate or shifts the pages.
        if (pages === 1) late.push((await sent(alice, ch.id, "zebra zebra zebra zebra zebra late")).id);
      } while (cursor);
      expect(new Set(seen).size, sort).toBe(seen.length);
      const original = seen.filter((id) => !late.includes(id));
      expect(original.length, sort).toBe(ids.length);
      expect([...original].sort(), sort).toEqual([...ids].sort());
      if (sort === "recent") expect(original).toEqual([...ids].reverse());
      else expect(pages).toBe(3);
    }
    // Relevance: the short message where "zebra" is dense ranks first.
    const top = expectStatus(await search(alice, "zebra", { limit: "1" }), 200).items[0].message;
    expect(top.text).toContain("zebra zebra");
    const cursor = expectStatus(await search(alice, "zebra", { limit: "2" }), 200).next_cursor;
    expectProblem(await search(alice, "zebra", { sort: "recent", cursor }), 400, "invalid_cursor");
  });
});

describe("who finds what", () => {
  it("finds public channels for non-guests, private channels and DMs for their members only", async () => {
    const { owner, alice, bob, guest } = await workspace();
    const pub = await createChannel(alice);
    const priv = await createChannel(alice, { is_private: true });
    const dm = expectStatus(await call("POST", "/dms", { token: alice.token, body: { user_ids: [bob.user.id] } }), 201);
    const guestRoom = await createChannel(alice);
    await addMembers(alice, guestRoom.id, guest);
    const inPub = await sent(alice, pub.id, "walrus in public");
    const inPriv = await sent(alice, priv.id, "walrus in private");
    const inDm = await sent(alice, dm.id, "walrus in the dm");
    const inGuestRoom = await sent(alice, guestRoom.id, "walrus where the guest is");
    await waitUntilFound(alice, "walrus", inGuestRoom.id);
    await waitUntilFound(alice, "walrus", inDm.id);
    const sorted = async (as: typeof alice) => (await foundIds(as, "walrus", { limit: "100" })).sort();
    expect(await sorted(alice)).toEqual([inPub.id, inPriv.id, inDm.id, inGuestRoom.id].sort());
    // Bob: the public ones (without joining) and his DM; not the private channel.
    expect(await sorted(bob)).toEqual([inPub.id, inDm.id, inGuestRoom.id].sort());
    // A guest: only the channel they were added to, not the other public one.
    expect(await sorted(guest)).toEqual([inGuestRoom.id]);
    // Workspace owners get no peek into private channels or DMs either.
    expect(await sorted(owner)).toEqual([inPub.id, inGuestRoom.id].sort());
    // in: names only what the caller may see.
    expect(await foundIds(bob, `walrus in:#${priv.name}`)).toEqual([]);
  });

  it("takes leaving and removal into account on the very next query", async () => {
    const { alice, bob, guest } = await workspace();
    const priv = await createChannel(alice, { is_private: true });
    const room = await createChannel(alice);
    await addMembers(alice, priv.id, bob);
    await addMembers(alice, room.id, guest);
    const m = await sent(alice, priv.id, "narwhal secrets");
    const g = await sent(alice, room.id, "narwhal for guests");
    await waitUntilFound(bob, "narwhal", m.id);
    await waitUntilFound(guest, "narwhal", g.id);
    expectStatus(await call("POST", `/channels/${priv.id}/leave`, { token: bob.token }), 204);
    expect(await foundIds(bob, "narwhal")).toEqual([g.id]);
    expectStatus(await call("DELETE", `/channels/${room.id}/members/${guest.user.id}`, { token: alice.token }), 204);
    expect(await foundIds(guest, "narwhal")).toEqual([]);
    // Back in: found again.
    await addMembers(alice, priv.id, bob);
    expect((await foundIds(bob, "narwhal")).sort()).toEqual([m.id, g.id].sort());
  });

  it("does not trust the index alone: a room that no longer lets the caller read drops the result", async () => {
    const { alice, bob } = await workspace();
    const priv = await createChannel(alice, { is_private: true });
    await addMembers(alice, priv.id, bob);
    const m = await sent(alice, priv.id, "platypus plans");
    await waitUntilFound(bob, "platypus", m.id);
    // The directory still says bob is a member (a stale mirror); the room does not.
    const { channelRoom } = await import("../../src/lib/stubs");
    const removed = await channelRoom(env, priv.id).removeMember({ id: alice.user.id, role: "member" }, bob.user.id);
    expect(removed.ok).toBe(true);
    const still = await env.DB.prepare("SELECT COUNT(*) AS n FROM memberships WHERE channel_id = ? AND user_id = ?")
      .bind(priv.id, bob.user.id)
      .first<{ n: number }>();
    expect(still?.n).toBe(1);
    expect(await foundIds(bob, "platypus")).toEqual([]);
  });
});

describe("channel search", () => {
  it("finds channels by name, topic and purpose, with the visibility of browsing", async () => {
    const { alice, bob, guest } = await workspace();
    const tag = crypto.randomUUID().slice(0, 6);
    const byName = await createChannel(alice, { name: `release-${tag}` });
    const byTopic = await createChannel(alice, { topic: `Déploiements du ${tag}` });
    const byPurpose = await createChannel(alice, { purpose: `東京オフィスの会議 ${tag}` });
    const priv = await createChannel(alice, { is_private: true, name: `release-private-${tag}` });
    const ids = async (as: typeof alice, q: string) =>
      expectStatus(await call("GET", `/search/channels?${new URLSearchParams({ q })}`, { token: as.token }), 200).items.map(
        (c: { id: string }) => c.id,
      );
    expect((await ids(alice, "release")).sort()).toEqual([byName.id, priv.id].sort());
    expect(await ids(bob, "release")).toEqual([byName.id]);
    expect(await ids(bob, "deploiement")).toEqual([byTopic.id]);
    expect(await ids(bob, "会議")).toEqual([byPurpose.id]);
    expect(await ids(bob, `${tag} -release`)).toEqual(expect.arrayContaining([byTopic.id, byPurpose.id]));
    expect(await ids(guest, "release")).toEqual([]);
    const page = expectStatus(await call("GET", `/search/channels?q=${tag}&limit=2`, { token: alice.token }), 200);
    expect(page.items).toHaveLength(2);
    const rest = expectStatus(
      await call("GET", `/search/channels?q=${tag}&limit=2&cursor=${page.next_cursor}`, { token: alice.token }),
      200,
    );
    expect([...page.items, ...rest.items].map((c: { id: string }) => c.id).sort()).toEqual(
      [byName.id, byTopic.id, byPurpose.id, priv.id].sort(),
    );
    expectProblem(await call("GET", "/search/channels?q=from:@x", { token: alice.token }), 422, "invalid_query");
  });
});

describe("search in the OpenAPI document", () => {
  it("documents the search and rebuild routes with their query parameters", async () => {
    const doc = expectStatus(await call("GET", "/openapi.json"), 200);
    const params = (path: string) => doc.paths[path].get.parameters.map((p: { name: string }) => p.name).sort();
    expect(params("/search/messages")).toEqual(["cursor", "limit", "q", "sort"]);
    expect(params("/search/channels")).toEqual(["cursor", "limit", "q"]);
    expect(doc.paths["/search/messages"].get.responses).toHaveProperty("422");
    expect(doc.paths["/admin/search/rebuild"]).toHaveProperty("post");
    expect(doc.paths["/admin/search/rebuild"]).toHaveProperty("get");
    expect(doc.components.schemas).toHaveProperty("MessageSearchPage");
  });
});
