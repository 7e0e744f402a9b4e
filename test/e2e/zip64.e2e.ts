import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type ZipEntryRecord, type ZipOptions, zipEntry, zipTrailer } from "../../src/lib/zip";

// The export's ZIP writer (src/lib/zip.ts) in ZIP64 form, checked by two independent readers that
// run here in Node: Info-ZIP's `unzip -t` (as test/e2e/export.e2e.ts does for a real export) and
// Python's zipfile. A small archive written with every structure forced to ZIP64, and an archive
// that needs it for real: more entries than the classic end record can count.

const dir = mkdtempSync(join(tmpdir(), "colink-zip64-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const at = new Date("2026-03-04T05:06:08Z");

async function writeZip(
  name: string,
  entries: [string, Uint8Array][],
  options: ZipOptions = {},
): Promise<{ file: string; bytes: Uint8Array }> {
  const parts: Uint8Array[] = [];
  const records: ZipEntryRecord[] = [];
  let offset = 0;
  for (const [entryName, data] of entries) {
    const { bytes, record } = await zipEntry(entryName, data, offset, at, options);
    parts.push(bytes);
    records.push(record);
    offset += bytes.length;
  }
  parts.push(zipTrailer(records, offset, at, options));
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let p = 0;
  for (const part of parts) {
    bytes.set(part, p);
    p += part.length;
  }
  const file = join(dir, name);
  writeFileSync(file, bytes);
  return { file, bytes };
}

/** Python's zipfile: testzip() (every CRC), the entry count, and the named entries' text. */
function python(file: string, names: string[]): { bad: string | null; count: number; texts: string[]; zip64_end: boolean } {
  const script = `
import json, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    names = json.loads(sys.argv[2])
    with open(sys.argv[1], "rb") as f:
        data = f.read()
    print(json.dumps({
        "bad": z.testzip(),
        "count": len(z.infolist()),
        "texts": [z.read(n).decode("utf-8") for n in names],
        "zip64_end": data.rfind(b"PK\\x06\\x06") != -1 and data.rfind(b"PK\\x06\\x07") != -1,
    }))
`;
  return JSON.parse(execFileSync("python3", ["-c", script, file, JSON.stringify(names)], { encoding: "utf8" }));
}

const text = (s: string) => new TextEncoder().encode(s);

describe("ZIP64", () => {
  it("a small archive with every structure in ZIP64 form opens in unzip and Python's zipfile", async () => {
    const entries: [string, Uint8Array][] = [
      ["users.json", text(JSON.stringify([{ id: "u1", name: "ada" }]))],
      ["général/2026-03-04.json", text(JSON.stringify([{ text: "héllo, wörld 👋" }]))],
      ["empty.json", new Uint8Array()],
      ["big.json", text("x".repeat(200_000))],
    ];
    const { file, bytes } = await writeZip("forced.zip", entries, { forceZip64: true });

    // The end is a zip64 end record, its locator, then the classic record with every field -1.
    const v = new DataView(bytes.buffer);
    const end = bytes.length - 22;
    expect(v.getUint32(end, true)).toBe(0x06054b50);
    expect(v.getUint16(end + 10, true)).toBe(0xffff);
    expect(v.getUint32(end + 12, true)).toBe(0xffffffff);
    expect(v.getUint32(end + 16, true)).toBe(0xffffffff);
    expect(v.getUint32(end - 20, true)).toBe(0x07064b50);
    const record = Number(v.getBigUint64(end - 20 + 8, true));
    expect(v.getUint32(record, true)).toBe(0x06064b50);
    expect(Number(v.getBigUint64(record + 32, true))).toBe(entries.length);
    // The first local header: sizes -1, the real ones in its zip64 extra field.
    expect(v.getUint32(18, true)).toBe(0xffffffff);
    expect(v.getUint16(30 + "users.json".length, true)).toBe(0x0001);

    const tested = execFileSync("unzip", ["-t", file], { encoding: "utf8" });
    expect(tested).toContain("No errors detected");
    expect(execFileSync("unzip", ["-Z1", file], { encoding: "utf8" }).trim().split("\n")).toEqual(entries.map(([n]) => n));
    expect(execFileSync("unzip", ["-p", file, "général/2026-03-04.json"], { encoding: "utf8" })).toBe(
      JSON.stringify([{ text: "héllo, wörld 👋" }]),
    );
    expect(python(file, ["général/2026-03-04.json", "big.json", "empty.json"])).toEqual({
      bad: null,
      count: entries.length,
      texts: [JSON.stringify([{ text: "héllo, wörld 👋" }]), "x".repeat(200_000), ""],
      zip64_end: true,
    });
  });

  it("more than 65,535 entries: the zip64 end record carries the count, and both readers see every entry", async () => {
    const count = 65_600;
    const entries: [string, Uint8Array][] = Array.from({ length: count }, (_, i) => [
      `c/${String(i).padStart(5, "0")}.json`,
      text(`[${i}]`),
    ]);
    const { file, bytes } = await writeZip("many.zip", entries);
    const v = new DataView(bytes.buffer);
    const end = bytes.length - 22;
    expect(v.getUint16(end + 10, true)).toBe(0xffff);
    expect(v.getUint32(end - 20, true)).toBe(0x07064b50);
    // Entries themselves stay classic (small, below 4 GiB): no zip64 extra in their local headers.
    expect(v.getUint16(28, true)).toBe(0);

    const tested = execFileSync("unzip", ["-tq", file], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    expect(tested).toContain("No errors detected");
    expect(python(file, ["c/00000.json", `c/${count - 1}.json`])).toEqual({
      bad: null,
      count,
      texts: ["[0]", `[${count - 1}]`],
      zip64_end: true,
    });
  }, 120_000);

  it("an archive that needs no ZIP64 is written without it", async () => {
    const { file, bytes } = await writeZip("classic.zip", [["a.json", text("[1]")]]);
    const v = new DataView(bytes.buffer);
    const end = bytes.length - 22;
    expect(v.getUint16(end + 10, true)).toBe(1);
    expect(v.getUint32(end - 20, true)).not.toBe(0x07064b50);
    expect(python(file, ["a.json"])).toEqual({ bad: null, count: 1, texts: ["[1]"], zip64_end: false });
  });
});
