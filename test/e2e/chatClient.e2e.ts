import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { rmSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { baseUrl, signUp } from "./client";

// The README's "two people chatting" walkthrough, with the terminal client it documents.

const root = path.resolve(import.meta.dirname, "../..");
const running: ChildProcessWithoutNullStreams[] = [];
const stateFiles: string[] = [];

afterAll(() => {
  for (const p of running) p.kill("SIGKILL");
  for (const f of stateFiles) rmSync(f, { force: true });
});

function chat(user: string, password: string) {
  stateFiles.push(path.join(root, ".cache", `chat-${user}.json`));
  const proc = spawn(process.execPath, [path.join(root, "scripts/chat.mjs"), "--user", user, "--password", password, "--url", baseUrl()], {
    cwd: root,
  });
  running.push(proc);
  let out = "";
  proc.stdout.on("data", (d) => (out += d));
  proc.stderr.on("data", (d) => (out += d));
  return {
    proc,
    type: (line: string) => proc.stdin.write(`${line}\n`),
    output: () => out,
    async waitFor(text: string, ms = 15_000) {
      const deadline = Date.now() + ms;
      while (!out.includes(text)) {
        if (Date.now() > deadline) throw new Error(`"${text}" never appeared in:\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}

describe("scripts/chat.mjs", () => {
  it("lets two people chat in #general and a DM, and a client that drops finds nothing missing", async () => {
    const [ada, bob] = await Promise.all([signUp("ada"), signUp("bob")]);
    const a = chat(ada.username, ada.password);
    let b = chat(bob.username, bob.password);
    await a.waitFor("now in #general");
    await b.waitFor("now in #general");
    await new Promise((r) => setTimeout(r, 2000)); // both sockets live

    a.type("hello bob");
    await b.waitFor(`<${ada.username}> hello bob`);
    b.type(`/dm ${ada.username}`);
    await b.waitFor("now in a DM");
    b.type("hi ada, privately");
    await a.waitFor(`<${bob.username}> hi ada, privately`);

    b.proc.kill("SIGKILL");
    for (const text of ["while you were away 1", "while you were away 2", "while you were away 3"]) a.type(text);
    await a.waitFor("while you were away 3");

    b = chat(bob.username, bob.password);
    for (const text of ["while you were away 1", "while you were away 2", "while you were away 3"])
      await b.waitFor(`<${ada.username}> ${text}`);
    const missedOnce = b.output().split("while you were away 2").length - 1;
    expect(missedOnce).toBe(1);
  });
});
