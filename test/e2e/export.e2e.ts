import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { api, baseUrl, ownerAccount, signUp } from "./client";

// The workspace export against a real `wrangler dev` (its local queue and R2): the archive the
// queue job writes opens with Info-ZIP's `unzip -t`, and lists Slack's layout.

describe("workspace export", () => {
  it("POST /admin/exports produces a ZIP that `unzip -t` accepts, in Slack's layout", async () => {
    const owner = await ownerAccount();
    const bob = await signUp("exp");
    const name = `export-${Date.now().toString(36)}`;
    const channel = await api("POST", "/channels", { token: owner.token, body: { name } });
    expect(channel.status).toBe(201);
    await api("POST", `/channels/${channel.body.id}/members`, { token: owner.token, body: { user_ids: [bob.id] } });
    const root = await api("POST", `/channels/${channel.body.id}/messages`, { token: owner.token, body: { text: "héllo, wörld 👋" } });
    expect(root.status).toBe(201);
    await api("POST", `/channels/${channel.body.id}/messages`, {
      token: bob.token,
      body: { text: "a reply", thread_root_id: root.body.id },
    });

    const started = await api("POST", "/admin/exports", { token: owner.token, body: { channel_ids: [channel.body.id] } });
    expect(started.status).toBe(202);
    let status = started.body;
    for (let i = 0; i < 300 && status.status === "running"; i++) {
      await new Promise((r) => setTimeout(r, 200));
      status = (await api("GET", `/admin/exports/${started.body.id}`, { token: owner.token })).body;
    }
    expect(status).toMatchObject({ status: "done", download_url: expect.any(String), size: expect.any(Number) });

    const res = await fetch(`${baseUrl()}${status.download_url}`, { headers: { authorization: `Bearer ${owner.token}` } });
    expect(res.status).toBe(200);
    const zip = new Uint8Array(await res.arrayBuffer());
    expect(zip.length).toBe(status.size);
    const dir = mkdtempSync(join(tmpdir(), "colink-export-"));
    try {
      const file = join(dir, "export.zip");
      writeFileSync(file, zip);
      const tested = execFileSync("unzip", ["-t", file], { encoding: "utf8" });
      expect(tested).toContain("No errors detected");
      const listing = execFileSync("unzip", ["-Z1", file], { encoding: "utf8" }).trim().split("\n");
      const day = (root.body.created_at as string).slice(0, 10);
      expect(listing).toEqual(["users.json", "channels.json", "groups.json", "dms.json", "mpims.json", `${name}/${day}.json`]);
      const messages = JSON.parse(execFileSync("unzip", ["-p", file, `${name}/${day}.json`], { encoding: "utf8" }));
      expect(messages.map((m: { text: string }) => m.text)).toEqual(["héllo, wörld 👋", "a reply"]);
      expect(messages[1].thread_ts).toBe(messages[0].ts);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
