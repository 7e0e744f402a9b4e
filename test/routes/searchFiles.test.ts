import { describe, expect, it } from "vitest";
import { addMembers, createChannel, expectStatus, sent, workspace } from "../channelFixtures";
import { forceStatus, uploadFile } from "../fileFixtures";
import { type Account, call, expectProblem } from "../helpers";

// GET /search/files (API.md "Search"): files by filename, with message search's matching and
// visibility, through the real Worker and D1.

const findFiles = (as: Account, q: string, extra = "") =>
  call("GET", `/search/files?q=${encodeURIComponent(q)}${extra}`, { token: as.token });
const foundIds = async (as: Account, q: string) => expectStatus(await findFiles(as, q), 200).items.map((h: any) => h.file.id);
/** A word no other test's filenames contain. */
const unique = () => `w${crypto.randomUUID().slice(0, 8)}`;

describe("file search", () => {
  it("finds filename words by prefix, case- and accent-insensitively, with highlights into the filename", async () => {
    const { alice } = await workspace();
    const tag = unique();
    const file = await uploadFile(alice, "q3 numbers", { filename: `Résumé-${tag}-Quarterly.pdf` });
    const reply = expectStatus(await findFiles(alice, `resume ${tag} quart`), 200);
    expect(reply.items.map((h: any) => h.file.id)).toEqual([file.id]);
    const { file: found, highlights } = reply.items[0];
    expect(found).toMatchObject({ id: file.id, filename: `Résumé-${tag}-Quarterly.pdf`, uploaded_by: alice.user.id });
    expect(highlights.map((h: any) => found.filename.slice(h.start, h.end))).toEqual(["Résumé", tag, "Quarterly"]);
    expect(await foundIds(alice, `${tag} -quarterly`)).toEqual([]);
    expect(await foundIds(alice, `"${tag} quarterly"`)).toEqual([file.id]);
  });

  it("finds Japanese and Chinese words of two characters inside a filename", async () => {
    const { alice } = await workspace();
    const tag = unique();
    const ja = await uploadFile(alice, "x", { filename: `${tag}_東京会議メモ.txt` });
    const zh = await uploadFile(alice, "y", { filename: `${tag}_北京开会记录.txt` });
    expect(await foundIds(alice, `${tag} 会議`)).toEqual([ja.id]);
    expect(await foundIds(alice, `${tag} 开会`)).toEqual([zh.id]);
  });

  it("shows others a file only where they may read a channel it was posted in, decided at query time", async () => {
    const { owner, alice, bob, guest } = await workspace();
    const tag = unique();
    const pub = await createChannel(alice);
    const priv = await createChannel(alice, { is_private: true });
    const inPublic = await uploadFile(alice, "a", { filename: `${tag}-public.txt` });
    const inPrivate = await uploadFile(alice, "b", { filename: `${tag}-private.txt` });
    const unposted = await uploadFile(alice, "c", { filename: `${tag}-mine.txt` });
    await sent(alice, pub.id, "here", { file_ids: [inPublic.id] });
    await sent(alice, priv.id, "here", { file_ids: [inPrivate.id] });

    expect((await foundIds(alice, tag)).sort()).toEqual([inPublic.id, inPrivate.id, unposted.id].sort());
    expect(await foundIds(bob, tag)).toEqual([inPublic.id]);
    expect(await foundIds(owner, tag)).toEqual([inPublic.id]);
    // A guest reads only the channels they are in.
    expect(await foundIds(guest, tag)).toEqual([]);
    await addMembers(alice, priv.id, bob, guest);
    expect((await foundIds(bob, tag)).sort()).toEqual([inPublic.id, inPrivate.id].sort());
    expect(await foundIds(guest, tag)).toEqual([inPrivate.id]);
    // Leaving takes effect on the next query.
    expectStatus(await call("POST", `/channels/${priv.id}/leave`, { token: bob.token }), 204);
    expect(await foundIds(bob, tag)).toEqual([inPublic.id]);
  });

  it("finds a quarantined file for its uploader only", async () => {
    const { alice, bob } = await workspace();
    const tag = unique();
    const ch = await createChannel(alice);
    const file = await uploadFile(alice, "z", { filename: `${tag}.bin` });
    await sent(alice, ch.id, "a file", { file_ids: [file.id] });
    expect(await foundIds(bob, tag)).toEqual([file.id]);
    await forceStatus(file.id, "quarantined");
    expect(await foundIds(bob, tag)).toEqual([]);
    expect(await foundIds(alice, tag)).toEqual([file.id]);
  });

  it("takes from:, in: and dates, and refuses the message-only operators with 422", async () => {
    const { alice, bob } = await workspace();
    const tag = unique();
    const ch = await createChannel(alice);
    await addMembers(alice, ch.id, bob);
    const hers = await uploadFile(alice, "1", { filename: `${tag}-a.txt` });
    const his = await uploadFile(bob, "2", { filename: `${tag}-b.txt` });
    await sent(alice, ch.id, "files", { file_ids: [hers.id] });
    await sent(bob, ch.id, "files", { file_ids: [his.id] });
    expect(await foundIds(alice, `${tag} from:@${bob.user.username}`)).toEqual([his.id]);
    expect((await foundIds(alice, `${tag} in:#${ch.name}`)).sort()).toEqual([hers.id, his.id].sort());
    expect(await foundIds(alice, `${tag} in:#no-such-channel`)).toEqual([]);
    expect(await foundIds(alice, `${tag} before:2001-01-01`)).toEqual([]);
    expect((await foundIds(alice, `${tag} after:2001-01-01`)).length).toBe(2);
    for (const q of [`${tag} has:file`, `${tag} is:thread`, `${tag} nope:x`, `${tag} on:2026-13-40`])
      expectProblem(await findFiles(alice, q), 422, "invalid_query");
  });

  it("pages newest first with a cursor, without duplicates", async () => {
    const { alice } = await workspace();
    const tag = unique();
    const uploaded = [];
    for (let i = 0; i < 5; i++) uploaded.push(await uploadFile(alice, `${i}`, { filename: `${tag}-${i}.txt` }));
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = expectStatus(await findFiles(alice, tag, `&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`), 200);
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((h: any) => h.file.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toEqual(uploaded.map((f) => f.id).reverse());
    expectProblem(await findFiles(alice, tag, "&cursor=not-a-cursor"), 400);
  });
});
