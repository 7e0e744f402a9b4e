import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { EMPTY_MESSAGE_ERROR } from "../../src/protocol/messages";
import { addMembers, createChannel, expectStatus, workspace } from "../channelFixtures";
import { createFile, EICAR, forceStatus, putBytes, scanned, uploadFile } from "../fileFixtures";
import { call, expectProblem, registerOwner } from "../helpers";

// API.md "Files": the three-step upload, who may read, what is served and how.

describe("POST /files", () => {
  it("records the file as uploading and signs a single-file upload URL", async () => {
    const owner = await registerOwner();
    const body = expectStatus(await createFile(owner, 5, { filename: "a.txt", content_type: "text/plain" }), 201);
    expect(body.file).toMatchObject({
      filename: "a.txt",
      content_type: "text/plain",
      size: 5,
      status: "uploading",
      uploaded_by: owner.user.id,
      sha256: null,
      image: null,
      thumbnail: false,
    });
    expect(body.upload).toMatchObject({ method: "PUT", headers: { "content-type": "text/plain" } });
    expect(body.upload.url).toContain(`/api/v1/files/${body.file.id}/upload?token=`);
    expect(Date.parse(body.upload.expires_at)).toBeGreaterThan(Date.now());
  });

  it("refuses a size over MAX_UPLOAD_BYTES with 413 file_too_large", async () => {
    const owner = await registerOwner();
    expectProblem(await createFile(owner, Number(env.MAX_UPLOAD_BYTES) + 1), 413, "file_too_large");
    expectStatus(await createFile(owner, Number(env.MAX_UPLOAD_BYTES)), 201);
  });

  it("validates the fields (422) and needs a channel the uploader may post in (404)", async () => {
    const { owner, alice } = await workspace();
    expectProblem(
      await call("POST", "/files", { token: owner.token, body: { filename: "../x", content_type: "text/plain", size: 1 } }),
      422,
    );
    expectProblem(await call("POST", "/files", { token: owner.token, body: { filename: "x", content_type: "nope", size: 1 } }), 422);
    expectProblem(await call("POST", "/files", { token: owner.token, body: { filename: "x", content_type: "text/plain", size: -1 } }), 422);
    const privateChannel = await createChannel(owner, { is_private: true });
    expectProblem(await createFile(alice, 1, { channel_id: privateChannel.id }), 404);
    const publicChannel = await createChannel(owner);
    // Readable but not joined: posting needs membership.
    expectProblem(await createFile(alice, 1, { channel_id: publicChannel.id }), 404);
    await addMembers(owner, publicChannel.id, alice);
    expectStatus(await createFile(alice, 1, { channel_id: publicChannel.id }), 201);
    expectProblem(await call("POST", "/files", { body: { filename: "x", content_type: "text/plain", size: 1 } }), 401);
  });
});

describe("the upload URL", () => {
  it("works once, for that file only; altered or expired ones are refused with 403", async () => {
    const owner = await registerOwner();
    const a = expectStatus(await createFile(owner, 3), 201);
    const b = expectStatus(await createFile(owner, 3), 201);
    const tokenOf = (url: string) => new URL(url).searchParams.get("token") ?? "";
    // b's token on a's URL, and a tampered token.
    const swapped = a.upload.url.replace(tokenOf(a.upload.url), tokenOf(b.upload.url));
    expectProblem(await putBytes(swapped, "abc"), 403, "invalid_upload_url");
    expectProblem(await putBytes(`${a.upload.url}x`, "abc"), 403, "invalid_upload_url");
    expectProblem(await putBytes(a.upload.url.replace(/token=[^&]+/, ""), "abc"), 400);
    expect((await putBytes(a.upload.url, "abc")).status).toBe(204);
    expectProblem(await putBytes(a.upload.url, "abc"), 403, "invalid_upload_url");
    await env.DB.prepare("UPDATE files SET upload_expires_at = ? WHERE id = ?")
      .bind(new Date(Date.now() - 1000).toISOString(), b.file.id)
      .run();
    expectProblem(await putBytes(b.upload.url, "abc"), 403, "upload_url_expired");
  });

  it("refuses more bytes than declared, by Content-Length or by what arrives, and stores nothing", async () => {
    const owner = await registerOwner();
    const created = expectStatus(await createFile(owner, 4), 201);
    expectProblem(await putBytes(created.upload.url, "too many"), 413, "upload_too_large");
    // No Content-Length (a stream): the bytes are counted as they arrive.
    const stream = () =>
      new ReadableStream({
        start(c) {
          c.enqueue(new TextEncoder().encode("abc"));
          c.enqueue(new TextEncoder().encode("de"));
          c.close();
        },
      });
    expectProblem(await putBytes(created.upload.url, stream()), 413, "upload_too_large");
    expect(await env.FILES.head(`files/${created.file.id}`)).toBeNull();
    expectProblem(await putBytes(created.upload.url, "abc"), 400, "upload_size_mismatch");
    expectProblem(await call("POST", `/files/${created.file.id}/complete`, { token: owner.token }), 409, "upload_incomplete");
    // The URL still works after the refusals: the right bytes are taken.
    expect((await putBytes(created.upload.url, "abcd")).status).toBe(204);
    expect(await (await env.FILES.get(`files/${created.file.id}`))?.text()).toBe("abcd");
  });
});

describe("POST /files/{id}/complete", () => {
  it("is 409 before the bytes arrived, then makes the file scanning; again, it answers the file as it is", async () => {
    const owner = await registerOwner();
    const created = expectStatus(await createFile(owner, 5), 201);
    expectProblem(await call("POST", `/files/${created.file.id}/complete`, { token: owner.token }), 409, "upload_incomplete");
    expect((await putBytes(created.upload.url, "hello")).status).toBe(204);
    const done = expectStatus(await call("POST", `/files/${created.file.id}/complete`, { token: owner.token }), 200);
    expect(done.status).toBe("scanning");
    const again = expectStatus(await call("POST", `/files/${created.file.id}/complete`, { token: owner.token }), 200);
    expect(["scanning", "clean"]).toContain(again.status);
  });

  it("is the uploader's alone: 404 for anyone who cannot see the file", async () => {
    const { owner, alice } = await workspace();
    const created = expectStatus(await createFile(owner, 1), 201);
    expectProblem(await call("POST", `/files/${created.file.id}/complete`, { token: alice.token }), 404, "file_not_found");
    expectProblem(await call("POST", "/files/f_00000000000000000000000000/complete", { token: alice.token }), 404);
  });
});

describe("reading and downloading", () => {
  it("serves a clean file to its uploader, with attachment, nosniff and an RFC 6266 filename", async () => {
    const owner = await registerOwner();
    const file = await uploadFile(owner, "héllo wörld", { filename: 'naïve résumé "v2".txt', content_type: "text/plain" });
    const clean = await scanned(owner, file.id);
    expect(clean).toMatchObject({ status: "clean", sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const res = await call("GET", `/files/${file.id}/content`, { token: owner.token });
    expect(res.status).toBe(200);
    expect(res.body).toBe("héllo wörld");
    expect(res.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("content-disposition")).toBe(
      `attachment; filename="na_ve r_sum_ _v2_.txt"; filename*=UTF-8''na%C3%AFve%20r%C3%A9sum%C3%A9%20%22v2%22.txt`,
    );
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode("héllo wörld"));
    expect(clean.sha256).toBe([...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join(""));
  });

  it("never serves HTML or SVG as such on the service's origin", async () => {
    const owner = await registerOwner();
    for (const [name, type, text] of [
      ["page.html", "text/html", "<script>alert(1)</script>"],
      ["pic.svg", "image/svg+xml", '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'],
      ["x.xhtml", "application/xhtml+xml; charset=utf-8", "<html/>"],
    ] as const) {
      const file = await uploadFile(owner, text, { filename: name, content_type: type });
      await scanned(owner, file.id);
      const res = await call("GET", `/files/${file.id}/content`, { token: owner.token });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("application/octet-stream");
      expect(res.headers.get("content-disposition")).toMatch(/^attachment;/);
      expect(res.headers.get("content-security-policy")).toContain("sandbox");
    }
  });

  it("answers 409 file_not_ready before the scan and 403 for quarantined or unscannable files", async () => {
    const owner = await registerOwner();
    const created = expectStatus(await createFile(owner, 2), 201);
    expectProblem(await call("GET", `/files/${created.file.id}/content`, { token: owner.token }), 409, "file_not_ready");
    const file = await uploadFile(owner, "ok");
    await scanned(owner, file.id);
    await forceStatus(file.id, "scanning");
    expectProblem(await call("GET", `/files/${file.id}/content`, { token: owner.token }), 409, "file_not_ready");
    await forceStatus(file.id, "scan_failed");
    expectProblem(await call("GET", `/files/${file.id}/content`, { token: owner.token }), 403, "file_scan_failed");
    const virus = await uploadFile(owner, EICAR, { filename: "eicar.com", content_type: "application/octet-stream" });
    expect((await scanned(owner, virus.id)).status).toBe("quarantined");
    expectProblem(await call("GET", `/files/${virus.id}/content`, { token: owner.token }), 403, "file_quarantined");
  });

  it("refuses bytes replaced after the scan", async () => {
    const owner = await registerOwner();
    const file = await uploadFile(owner, "original");
    await scanned(owner, file.id);
    await env.FILES.put(`files/${file.id}`, "replaced");
    expectProblem(await call("GET", `/files/${file.id}/content`, { token: owner.token }), 403, "file_scan_failed");
  });

  it("is 404 for anyone who is not the uploader and cannot read a channel the file was posted in", async () => {
    const { owner, alice } = await workspace();
    const file = await uploadFile(owner, "secret");
    await scanned(owner, file.id);
    expectProblem(await call("GET", `/files/${file.id}`, { token: alice.token }), 404, "file_not_found");
    expectProblem(await call("GET", `/files/${file.id}/content`, { token: alice.token }), 404, "file_not_found");
    expectProblem(await call("GET", `/files/${file.id}/thumbnail`, { token: alice.token }), 404, "file_not_found");
    expectProblem(await call("GET", `/files/${file.id}`), 401);
  });
});

describe("DELETE /files/{id}", () => {
  it("the uploader or an admin deletes the file and its bytes; others get 403 or 404", async () => {
    const { alice, bob, admin } = await workspace();
    const mine = await uploadFile(alice, "mine");
    await scanned(alice, mine.id);
    expectProblem(await call("DELETE", `/files/${mine.id}`), 401);
    expectProblem(await call("DELETE", `/files/${mine.id}`, { token: bob.token }), 404, "file_not_found");
    expect((await call("DELETE", `/files/${mine.id}`, { token: alice.token })).status).toBe(204);
    expect(await env.FILES.head(`files/${mine.id}`)).toBeNull();
    expectProblem(await call("GET", `/files/${mine.id}`, { token: alice.token }), 404);
    const other = await uploadFile(alice, "other");
    expect((await call("DELETE", `/files/${other.id}`, { token: admin.token })).status).toBe(204);
    expectProblem(await call("GET", `/files/${other.id}`, { token: alice.token }), 404);
  });
});

describe("attaching files to messages", () => {
  it("a message carries up to 10 of the sender's own files, shown with their current status", async () => {
    const { owner, alice, bob, guest } = await workspace();
    const channel = await createChannel(alice);
    await addMembers(alice, channel.id, bob);
    const file = await uploadFile(alice, "report");
    const pending = expectStatus(await createFile(alice, 3), 201);
    const message = expectStatus(
      await call("POST", `/channels/${channel.id}/messages`, {
        token: alice.token,
        body: { text: "see", file_ids: [file.id, pending.file.id] },
      }),
      201,
    );
    expect(message.files.map((f: any) => f.id)).toEqual([file.id, pending.file.id]);
    expect(message.files[1].status).toBe("uploading");
    // Readers of the channel may now read the file; a guest who is not in it may not.
    await scanned(alice, file.id);
    expectStatus(await call("GET", `/files/${file.id}`, { token: bob.token }), 200);
    expect((await call("GET", `/files/${file.id}/content`, { token: owner.token })).body).toBe("report");
    expectProblem(await call("GET", `/files/${file.id}`, { token: guest.token }), 404);
    // History shows the file as it is now.
    await waitFor(async () => {
      const page = expectStatus(await call("GET", `/channels/${channel.id}/messages`, { token: bob.token }), 200);
      return page.items[0].files[0].status === "clean";
    });
    // Deleting the message does not delete its files.
    expect((await call("DELETE", `/channels/${channel.id}/messages/${message.id}`, { token: alice.token })).status).toBe(204);
    expectStatus(await call("GET", `/files/${file.id}`, { token: alice.token }), 200);
  });

  it("a message may be files alone: empty text with files; emptied by an edit only while it carries files; the room holds the rule", async () => {
    const { alice, bob } = await workspace();
    const channel = await createChannel(alice);
    await addMembers(alice, channel.id, bob);
    const post = (body: Record<string, unknown>) => call("POST", `/channels/${channel.id}/messages`, { token: alice.token, body });
    const edit = (id: string, text: string) =>
      call("PATCH", `/channels/${channel.id}/messages/${id}`, { token: alice.token, body: { text } });
    const file = expectStatus(await createFile(alice, 3), 201).file;
    const alone = expectStatus(await post({ text: "", file_ids: [file.id] }), 201);
    expect(alone).toMatchObject({ text: "", mentions: { user_ids: [], channel: false, here: false } });
    expect(alone.files.map((f: any) => f.id)).toEqual([file.id]);
    // Neither text nor files: refused, with the same field error whether file_ids is absent or empty.
    for (const body of [{ text: "" }, { text: "", file_ids: [] }])
      expect(expectProblem(await post(body), 422, "validation_failed").errors).toEqual([EMPTY_MESSAGE_ERROR]);
    // A body that is no object at all is a 4xx too (the content rule never runs on it).
    for (const rawBody of ["null", "[]", '""', "5"]) {
      const reply = await call("POST", `/channels/${channel.id}/messages`, { token: alice.token, rawBody });
      expect(reply.status, rawBody).toBeGreaterThanOrEqual(400);
      expect(reply.status, rawBody).toBeLessThan(500);
    }
    // Whitespace is text, as it always was (stored as written).
    expect(expectStatus(await post({ text: " " }), 201).text).toBe(" ");
    // An edit may empty a message that carries files, and not one that carries none.
    const captioned = expectStatus(await post({ text: "see attached", file_ids: [file.id] }), 201);
    const emptied = expectStatus(await edit(captioned.id, ""), 200);
    expect(emptied).toMatchObject({ text: "", files: captioned.files });
    expect(emptied.edited_at).not.toBeNull();
    const plain = expectStatus(await post({ text: "words only" }), 201);
    expect(expectProblem(await edit(plain.id, ""), 422, "validation_failed").errors).toEqual([EMPTY_MESSAGE_ERROR]);
    const page = expectStatus(await call("GET", `/channels/${channel.id}/messages`, { token: bob.token }), 200);
    expect(page.items.map((m: any) => m.text)).toEqual(["words only", "", " ", ""]);
    // The room refuses it too, whoever calls it: a send with neither, an edit emptying a message without files.
    const room = env.CHANNEL_ROOM.getByName(channel.id);
    const actor = { id: alice.user.id, role: "member" as const };
    for (const answer of [await room.appendMessage(actor, { text: "" }, []), await room.editMessage(actor, plain.id, "")])
      expect(answer).toEqual({
        ok: false,
        error: { status: 422, code: "validation_failed", detail: "Some fields are invalid.", errors: [EMPTY_MESSAGE_ERROR] },
      });
    expect((await room.appendMessage(actor, { text: "" }, [file])).ok).toBe(true);
  });

  it("refuses others' files, quarantined ones, duplicates and more than 10 (422)", async () => {
    const { alice, bob } = await workspace();
    const channel = await createChannel(alice);
    await addMembers(alice, channel.id, bob);
    const bobs = expectStatus(await createFile(bob, 1), 201);
    const mine = expectStatus(await createFile(alice, 1), 201);
    const sendWith = (file_ids: string[]) =>
      call("POST", `/channels/${channel.id}/messages`, { token: alice.token, body: { text: "x", file_ids } });
    const other = expectProblem(await sendWith([mine.file.id, bobs.file.id]), 422, "invalid_file");
    expect(other.errors).toEqual([{ path: "file_ids.1", message: "No such file of yours." }]);
    expectProblem(await sendWith([mine.file.id, mine.file.id]), 422, "invalid_file");
    expectProblem(await sendWith(["f_00000000000000000000000000"]), 422, "invalid_file");
    expectProblem(await sendWith(["nope"]), 422, "validation_failed");
    const eleven = await Promise.all(Array.from({ length: 11 }, async () => expectStatus(await createFile(alice, 1), 201).file.id));
    expectProblem(await sendWith(eleven), 422, "validation_failed");
    expect(expectStatus(await sendWith(eleven.slice(0, 10)), 201).files).toHaveLength(10);
    const virus = await uploadFile(alice, EICAR, { filename: "eicar.com" });
    expect((await scanned(alice, virus.id)).status).toBe("quarantined");
    expectProblem(await sendWith([virus.id]), 422, "invalid_file");
    // A refused send lists the file nowhere: bob still cannot see alice's file.
    expectProblem(await call("GET", `/files/${mine.file.id}`, { token: bob.token }), 404);
  });

  it("a send the room refuses after the files were listed lists them nowhere, and gives a released file back to the retention sweep", async () => {
    const { alice, bob } = await workspace();
    const archived = await createChannel(alice);
    await addMembers(alice, archived.id, bob);
    expectStatus(await call("POST", `/channels/${archived.id}/archive`, { token: alice.token }), 200);
    const fresh = await uploadFile(alice, "never posted");
    // One message retention released: posted nowhere any more, marked for the sweep.
    const released = await uploadFile(alice, "released by retention");
    const releasedAt = "2026-01-01T00:00:00.000Z";
    await env.DB.prepare("UPDATE files SET unreferenced_at = ? WHERE id = ?").bind(releasedAt, released.id).run();
    expectProblem(
      await call("POST", `/channels/${archived.id}/messages`, {
        token: alice.token,
        body: { text: "x", file_ids: [fresh.id, released.id] },
      }),
      409,
      "channel_archived",
    );
    const posts = await env.DB.prepare("SELECT COUNT(*) AS n FROM file_posts WHERE file_id IN (?, ?)")
      .bind(fresh.id, released.id)
      .first<{ n: number }>();
    expect(posts?.n).toBe(0);
    expectProblem(await call("GET", `/files/${fresh.id}`, { token: bob.token }), 404);
    const row = await env.DB.prepare("SELECT unreferenced_at FROM files WHERE id = ?")
      .bind(released.id)
      .first<{ unreferenced_at: string }>();
    expect(row?.unreferenced_at).toBe(releasedAt);
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 100));
  }
}
