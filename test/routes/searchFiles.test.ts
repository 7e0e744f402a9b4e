import { describe, expect, it } from "vitest";
import { addMembers, createChannel, expectStatus, sent, workspace } from "../channelFixtures";
import { uploadFile } from "../fileFixtures";
import { type Account, call, expectProblem } from "../helpers";
import { foundIds, waitUntilFound } from "../searchFixtures";

// GET /search/files (by filename) with the visibility of GET /files/{id}, and has:file in message
// search (the message's `files`).

const fileIds = async (as: Account, q: string) =>
  expectStatus(await call("GET", `/search/files?${new URLSearchParams({ q })}`, { token: as.token }), 200).items.map(
    (f: { id: string }) => f.id,
  );

describe("file search", () => {
  it("finds files by filename for their uploader and whoever may read a channel they were posted in", async () => {
    const { alice, bob, guest } = await workspace();
    const priv = await createChannel(alice, { is_private: true });
    const pub = await createChannel(alice);
    const room = await createChannel(alice);
    await addMembers(alice, room.id, guest);
    const resume = await uploadFile(alice, "cv", {
      filename: "Quarterly Résumé 2026.pdf",
      content_type: "application/pdf",
      channel_id: priv.id,
    });
    const memo = await uploadFile(alice, "memo", { filename: "東京会議メモ.txt" });
    const post = (channelId: string, fileId: string, text: string) =>
      call("POST", `/channels/${channelId}/messages`, { token: alice.token, body: { text, file_ids: [fileId] } });
    expectStatus(await post(priv.id, resume.id, "the cv"), 201);

    const resumeId: string = resume.id;
    const memoId: string = memo.id;
    // The uploader finds her own files, posted or not; accents and case do not matter; CJK by substring.
    expect(await fileIds(alice, "resume")).toEqual([resumeId]);
    expect(await fileIds(alice, "QUARTER 2026")).toEqual([resumeId]);
    expect(await fileIds(alice, "会議")).toEqual([memoId]);
    // Bob cannot read the private channel: nothing; the unposted memo is nobody else's business.
    expect(await fileIds(bob, "resume")).toEqual([]);
    expect(await fileIds(bob, "会議")).toEqual([]);
    // Posted in a public channel, bob finds it; a guest only through a channel they are in.
    expectStatus(await post(pub.id, resumeId, "again"), 201);
    expect(await fileIds(bob, "resume")).toEqual([resumeId]);
    expect(await fileIds(guest, "resume")).toEqual([]);
    expectStatus(await post(room.id, resumeId, "for the guest"), 201);
    expect(await fileIds(guest, "resume")).toEqual([resumeId]);
    expectProblem(await call("GET", "/search/files?q=in:%23x", { token: alice.token }), 422, "invalid_query");
    expectProblem(await call("GET", "/search/files?q=", { token: alice.token }), 422, "invalid_query");
  });

  it("has:file finds messages that carry files", async () => {
    const { alice } = await workspace();
    const ch = await createChannel(alice);
    const file = await uploadFile(alice, "data", { filename: "budget.csv", content_type: "text/csv" });
    const withFile = expectStatus(
      await call("POST", `/channels/${ch.id}/messages`, {
        token: alice.token,
        body: { text: "gecko budget", file_ids: [file.id] },
      }),
      201,
    );
    const without = await sent(alice, ch.id, "gecko without attachment");
    await waitUntilFound(alice, "gecko", without.id);
    await waitUntilFound(alice, "gecko", withFile.id);
    expect(await foundIds(alice, "gecko has:file")).toEqual([withFile.id]);
    expect(await foundIds(alice, "has:file")).toEqual([withFile.id]);
  });
});
