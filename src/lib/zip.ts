// A streaming ZIP writer's pieces (PKWARE APPNOTE 6.3.10): each entry is deflated whole and written
// as a local header plus its data, with the CRC and sizes known up front (no data descriptors);
// the central directory is built at the end from the small records kept per entry (a slice of
// records at a time, so it never has to be held whole), so an archive of any size is written
// without holding more than one entry. ZIP64 (APPNOTE 4.3.14, 4.4.1.4, 4.5.3) where the classic
// fields are too small: an entry of 4 GiB or more (zip64 extra field in its local and central
// headers), an entry starting past 4 GiB (central header), more than 65,534 entries or a central
// directory past 4 GiB (the zip64 end of central directory record and its locator before the
// classic end record). As Go's archive/zip does, a central header that needs ZIP64 carries all
// three 64-bit values and the end record all -1, which every reader understands. `forceZip64`
// writes every structure in ZIP64 form, so a small archive can test readers.

/** The largest value of a classic 32-bit (or 16-bit) field; the value itself means "see ZIP64". */
const MAX32 = 0xffffffff;
const MAX16 = 0xffff;

/** What the central directory needs of an entry: small, and JSON so it can be checkpointed. */
export type ZipEntryRecord = { name: string; crc: number; compressedSize: number; size: number; offset: number };

export type ZipOptions = { forceZip64?: boolean };

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
/** Version needed to extract an entry with ZIP64 fields (APPNOTE 4.4.3.2). */
const VERSION_ZIP64 = 45;
const ZIP64_EXTRA = 0x0001;
const MADE_BY_UNIX = 3 << 8;

export async function deflateRaw(data: Uint8Array): Promise<Uint8Array> {
  // (The DOM typings, which the Node e2e suite checks this with, allow only ArrayBuffer-backed parts; never shared memory here.)
  const stream = new Blob([data as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream("deflate-raw"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

const localNeedsZip64 = (r: ZipEntryRecord, o: ZipOptions) => o.forceZip64 === true || r.size >= MAX32 || r.compressedSize >= MAX32;
const centralNeedsZip64 = (r: ZipEntryRecord, o: ZipOptions) => localNeedsZip64(r, o) || r.offset >= MAX32;

/** A local header followed by the deflated data, and the record the central directory keeps. */
export async function zipEntry(
  name: string,
  data: Uint8Array,
  offset: number,
  at: Date,
  options: ZipOptions = {},
): Promise<{ bytes: Uint8Array; record: ZipEntryRecord }> {
  const nameBytes = new TextEncoder().encode(name);
  const compressed = await deflateRaw(data);
  const record: ZipEntryRecord = { name, crc: crc32(data), compressedSize: compressed.length, size: data.length, offset };
  const zip64 = localNeedsZip64(record, options);
  const extraLength = zip64 ? 20 : 0;
  const { date, time } = dosDateTime(at);
  const bytes = new Uint8Array(30 + nameBytes.length + extraLength + compressed.length);
  const v = new DataView(bytes.buffer);
  v.setUint32(0, 0x04034b50, true);
  v.setUint16(4, zip64 ? VERSION_ZIP64 : VERSION, true);
  v.setUint16(6, UTF8_NAMES, true);
  v.setUint16(8, DEFLATE, true);
  v.setUint16(10, time, true);
  v.setUint16(12, date, true);
  v.setUint32(14, record.crc, true);
  v.setUint32(18, zip64 ? MAX32 : record.compressedSize, true);
  v.setUint32(22, zip64 ? MAX32 : record.size, true);
  v.setUint16(26, nameBytes.length, true);
  v.setUint16(28, extraLength, true);
  bytes.set(nameBytes, 30);
  if (zip64) {
    // In a local header the zip64 extra field holds both sizes, uncompressed first (APPNOTE 4.5.3).
    const p = 30 + nameBytes.length;
    v.setUint16(p, ZIP64_EXTRA, true);
    v.setUint16(p + 2, 16, true);
    v.setBigUint64(p + 4, BigInt(record.size), true);
    v.setBigUint64(p + 12, BigInt(record.compressedSize), true);
  }
  bytes.set(compressed, 30 + nameBytes.length + extraLength);
  return { bytes, record };
}

/** Central directory headers for these entries (any slice of them, in order); concatenate the slices. */
export function centralDirectory(entries: readonly ZipEntryRecord[], at: Date, options: ZipOptions = {}): Uint8Array {
  const { date, time } = dosDateTime(at);
  const names = entries.map((e) => new TextEncoder().encode(e.name));
  const size = entries.reduce((n, e, i) => n + 46 + (names[i] as Uint8Array).length + (centralNeedsZip64(e, options) ? 28 : 0), 0);
  const bytes = new Uint8Array(size);
  const v = new DataView(bytes.buffer);
  let p = 0;
  entries.forEach((e, i) => {
    const name = names[i] as Uint8Array;
    const zip64 = centralNeedsZip64(e, options);
    const version = zip64 ? VERSION_ZIP64 : VERSION;
    v.setUint32(p, 0x02014b50, true);
    v.setUint16(p + 4, MADE_BY_UNIX | version, true); // made by Unix, so the external attributes are a mode
    v.setUint16(p + 6, version, true);
    v.setUint16(p + 8, UTF8_NAMES, true);
    v.setUint16(p + 10, DEFLATE, true);
    v.setUint16(p + 12, time, true);
    v.setUint16(p + 14, date, true);
    v.setUint32(p + 16, e.crc, true);
    v.setUint32(p + 20, zip64 ? MAX32 : e.compressedSize, true);
    v.setUint32(p + 24, zip64 ? MAX32 : e.size, true);
    v.setUint16(p + 28, name.length, true);
    v.setUint16(p + 30, zip64 ? 28 : 0, true);
    // comment, disk, internal attributes: 0; external attributes: a regular file, rw-r--r--.
    v.setUint32(p + 38, (0o100644 << 16) >>> 0, true);
    v.setUint32(p + 42, zip64 ? MAX32 : e.offset, true);
    bytes.set(name, p + 46);
    if (zip64) {
      // The fields set to -1 above, in APPNOTE order: uncompressed size, compressed size, offset.
      const x = p + 46 + name.length;
      v.setUint16(x, ZIP64_EXTRA, true);
      v.setUint16(x + 2, 24, true);
      v.setBigUint64(x + 4, BigInt(e.size), true);
      v.setBigUint64(x + 12, BigInt(e.compressedSize), true);
      v.setBigUint64(x + 20, BigInt(e.offset), true);
    }
    p += 46 + name.length + (zip64 ? 28 : 0);
  });
  return bytes;
}

/**
 * The end of the archive, written right after the central directory: the classic end record,
 * preceded by the zip64 end record and its locator when a count, size or offset needs them.
 */
export function zipEnd(cd: { entries: number; offset: number; size: number }, options: ZipOptions = {}): Uint8Array {
  const zip64 = options.forceZip64 === true || cd.entries >= MAX16 || cd.offset >= MAX32 || cd.size >= MAX32;
  const bytes = new Uint8Array((zip64 ? 56 + 20 : 0) + 22);
  const v = new DataView(bytes.buffer);
  let p = 0;
  if (zip64) {
    const recordOffset = cd.offset + cd.size;
    v.setUint32(0, 0x06064b50, true);
    v.setBigUint64(4, 44n, true); // the size of the rest of this record
    v.setUint16(12, MADE_BY_UNIX | VERSION_ZIP64, true);
    v.setUint16(14, VERSION_ZIP64, true);
    // this disk, the disk where the central directory starts: 0
    v.setBigUint64(24, BigInt(cd.entries), true);
    v.setBigUint64(32, BigInt(cd.entries), true);
    v.setBigUint64(40, BigInt(cd.size), true);
    v.setBigUint64(48, BigInt(cd.offset), true);
    v.setUint32(56, 0x07064b50, true);
    // the disk with the zip64 end record: 0
    v.setBigUint64(64, BigInt(recordOffset), true);
    v.setUint32(72, 1, true); // disks in all
    p = 76;
  }
  v.setUint32(p, 0x06054b50, true);
  v.setUint16(p + 8, zip64 ? MAX16 : cd.entries, true);
  v.setUint16(p + 10, zip64 ? MAX16 : cd.entries, true);
  v.setUint32(p + 12, zip64 ? MAX32 : cd.size, true);
  v.setUint32(p + 16, zip64 ? MAX32 : cd.offset, true);
  return bytes;
}

/** The central directory and its end, for entries written from offset 0 up to `offset` (all held at once: small archives). */
export function zipTrailer(entries: readonly ZipEntryRecord[], offset: number, at: Date, options: ZipOptions = {}): Uint8Array {
  const cd = centralDirectory(entries, at, options);
  const end = zipEnd({ entries: entries.length, offset, size: cd.length }, options);
  const bytes = new Uint8Array(cd.length + end.length);
  bytes.set(cd, 0);
  bytes.set(end, cd.length);
  return bytes;
}
