import { afterAll, describe, expect, it } from "vitest";
import { api, login } from "./client";
import { type DevServer, startWranglerDev } from "./wranglerDev";

// DESIGN.md invariant 1 against a real crash: SIGKILL the whole `wrangler dev` process group
// (workerd included) in the middle of a stream of sends, restart it on the same state, and
// check that every send that was answered 201 is there.

let server: DevServer | undefined;
afterAll(async () => server?.stop());

describe("durability", () => {
  it("invariant 1: acknowledged means durable, across a SIGKILL of wrangler dev", async () => {
    server = await startWranglerDev();
    const base = server.url;
    const reg = await api("POST", "/auth/register", {
      base,
      body: { email: "crash@example.test", username: "crash", password: "a long crash-test passphrase" },
    });
    expect(reg.status).toBe(201);
    const token = reg.body.access_token as string;
    const ch = await api("POST", "/channels", { base, token, body: { name: "crash-test" } });
    expect(ch.status).toBe(201);

    const acknowledged: string[] = [];
    let stop = false;
    const senders = Array.from({ length: 4 }, async (_, s) => {
      for (let i = 0; !stop; i++) {
        try {
          const res = await api("POST", `/channels/${ch.body.id}/messages`, {
            base,
            token,
            body: { text: `s${s} m${i}`, client_msg_id: `s${s}-${i}` },
          });
          if (res.status === 201) acknowledged.push(res.body.id);
        } catch {
          return; // the server is gone
        }
      }
    });
    while (acknowledged.length < 60) await new Promise((r) => setTimeout(r, 20));
    await server.crash();
    stop = true;
    await Promise.all(senders);
    expect(acknowledged.length).toBeGreaterThanOrEqual(60);

    server = await server.restart();
    const again = await login("crash", "a long crash-test passphrase", server.url);
    const stored = new Set<string>();
    let before = "";
    for (;;) {
      const page = await api("GET", `/channels/${ch.body.id}/messages?limit=200${before}`, { base: server.url, token: again.token });
      expect(page.status).toBe(200);
      for (const m of page.body.items) stored.add(m.id);
      if (!page.body.has_more) break;
      before = `&before=${page.body.items[page.body.items.length - 1].seq}`;
    }
    const lost = acknowledged.filter((id) => !stored.has(id));
    expect(lost).toEqual([]);
  });
});
