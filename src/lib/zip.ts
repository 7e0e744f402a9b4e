// A streaming ZIP writer's pieces (PKWARE APPNOTE 6.3): each entry is deflated whole and written
// as a local header plus its data, with the CRC and sizes known up front (no data descriptors);
// the central directory is built at the end from the small records kept per entry, so an archive
// of any size is written without holding more than one entry. No ZIP64: at most 65,535 entries
// and 4 GiB, which the caller checks (`ZIP_LIMITS`).

export const ZIP_LIMITS = { entries: 0xffff, bytes: 0xffffffff } as const;

/** What the central directory needs of an entry: small, and JSON so it can be checkpointed. */
export type ZipEntryRecord = { name: string; crc: number; compressedSize: number; size: number; offset: number };

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) crc = (CRC_TABLE[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** MS-DOS date and time (local = UTC here) of an instant. */
function dosDateTime(at: Date): { date: number; time: number } {
  const year = Math.max(1980, at.getUTCFullYear());
  return {
    date: ((year - 1980) << 9) | ((at.getUTCMonth() + 1) << 5) | at.getUTCDate(),
    time: (at.getUTCHours() << 11) | (at.getUTCMinutes() << 5) | Math.floor(at.getUTCSeconds() / 2),
  };
}

const UTF8_NAMES = 0x0800;
const DEFLATE = 8;
const VERSION = 20;

export async function deflateRaw(data: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([data]).stream().pipeThrough(new CompressionStream("deflate-raw"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** A local header followed by the deflated data, and the record the central directory keeps. */
export async function zipEntry(
  name: string,
  data: Uint8Array,
  offset: number,
  at: Date,
): Promise<{ bytes: Uint8Array; record: ZipEntryRecord }> {
  const nameBytes = new TextEncoder().encode(name);
  const compressed = await deflateRaw(data);
  const record: ZipEntryRecord = { name, crc: crc32(data), compressedSize: compressed.length, size: data.length, offset };
  const { date, time } = dosDateTime(at);
  const bytes = new Uint8Array(30 + nameBytes.length + compressed.length);
  const v = new DataView(bytes.buffer);
  v.setUint32(0, 0x04034b50, true);
  v.setUint16(4, VERSION, true);
  v.setUint16(6, UTF8_NAMES, true);
  v.setUint16(8, DEFLATE, true);
  v.setUint16(10, time, true);
  v.setUint16(12, date, true);
  v.setUint32(14, record.crc, true);
  v.setUint32(18, record.compressedSize, true);
  v.setUint32(22, record.size, true);
  v.setUint16(26, nameBytes.length, true);
  v.setUint16(28, 0, true);
  bytes.set(nameBytes, 30);
  bytes.set(compressed, 30 + nameBytes.length);
  return { bytes, record };
}

/** The central directory and its end record, for entries written from offset 0 up to `offset`. */
export function zipTrailer(entries: readonly ZipEntryRecord[], offset: number, at: Date): Uint8Array {
  const { date, time } = dosDateTime(at);
  const names = entries.map((e) => new TextEncoder().encode(e.name));
  const size = names.reduce((n, name) => n + 46 + name.length, 0);
  const bytes = new Uint8Array(size + 22);
  const v = new DataView(bytes.buffer);
  let p = 0;
  entries.forEach((e, i) => {
    const name = names[i] as Uint8Array;
    v.setUint32(p, 0x02014b50, true);
    v.setUint16(p + 4, (3 << 8) | VERSION, true); // made by Unix, so the external attributes are a mode
    v.setUint16(p + 6, VERSION, true);
    v.setUint16(p + 8, UTF8_NAMES, true);
    v.setUint16(p + 10, DEFLATE, true);
    v.setUint16(p + 12, time, true);
    v.setUint16(p + 14, date, true);
    v.setUint32(p + 16, e.crc, true);
    v.setUint32(p + 20, e.compressedSize, true);
    v.setUint32(p + 24, e.size, true);
    v.setUint16(p + 28, name.length, true);
    // extra, comment, disk, internal attributes: 0; external attributes: a regular file, rw-r--r--.
    v.setUint32(p + 38, (0o100644 << 16) >>> 0, true);
    v.setUint32(p + 42, e.offset, true);
    bytes.set(name, p + 46);
    p += 46 + name.length;
  });
  v.setUint32(p, 0x06054b50, true);
  v.setUint16(p + 8, entries.length, true);
  v.setUint16(p + 10, entries.length, true);
  v.setUint32(p + 12, size, true);
  v.setUint32(p + 16, offset, true);
  return bytes;
}
