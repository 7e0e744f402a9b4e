// The dimensions an image declares in its header, read without decoding it: enough to refuse a
// decompression bomb (a small file that decodes to billions of pixels) before any pixel exists.

export type ImageKind = "png" | "jpeg" | "gif" | "webp";
export type ImageHeader = { kind: ImageKind; width: number; height: number };

/** How many leading bytes `imageHeader` may need (a JPEG's frame header can follow large EXIF blocks). */
export const IMAGE_HEADER_BYTES = 256 * 1024;

const ascii = (b: Uint8Array, at: number, text: string) => [...text].every((ch, i) => b[at + i] === ch.charCodeAt(0));

/** The kind and size of a PNG, JPEG, GIF or WebP, from its first bytes; null for anything else or a header cut short. */
export function imageHeader(bytes: Uint8Array): ImageHeader | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const has = (n: number) => bytes.byteLength >= n;
  if (has(24) && view.getUint32(0) === 0x89504e47 && view.getUint32(4) === 0x0d0a1a0a && ascii(bytes, 12, "IHDR"))
    return sized("png", view.getUint32(16), view.getUint32(20));
  if (has(10) && (ascii(bytes, 0, "GIF87a") || ascii(bytes, 0, "GIF89a")))
    return sized("gif", view.getUint16(6, true), view.getUint16(8, true));
  if (has(30) && ascii(bytes, 0, "RIFF") && ascii(bytes, 8, "WEBP")) {
    if (ascii(bytes, 12, "VP8 ")) return sized("webp", view.getUint16(26, true) & 0x3fff, view.getUint16(28, true) & 0x3fff);
    if (ascii(bytes, 12, "VP8L") && bytes[20] === 0x2f) {
      const bits = view.getUint32(21, true);
      return sized("webp", (bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1);
    }
    if (ascii(bytes, 12, "VP8X")) {
      const u24 = (at: number) => (bytes[at] ?? 0) | ((bytes[at + 1] ?? 0) << 8) | ((bytes[at + 2] ?? 0) << 16);
      return sized("webp", u24(24) + 1, u24(27) + 1);
    }
    return null;
  }
  if (has(4) && bytes[0] === 0xff && bytes[1] === 0xd8) return jpegSize(bytes, view);
  return null;
}

function sized(kind: ImageKind, width: number, height: number): ImageHeader | null {
  return width > 0 && height > 0 ? { kind, width, height } : null;
}

/** Walks the JPEG markers to the first start-of-frame (SOF0–SOF15 but DHT, JPG and DAC). */
function jpegSize(bytes: Uint8Array, view: DataView): ImageHeader | null {
  let at = 2;
  while (at + 9 < bytes.byteLength) {
    if (bytes[at] !== 0xff) return null;
    const marker = bytes[at + 1] ?? 0;
    if (marker === 0xff) {
      at++;
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += 2;
      continue;
    }
    const length = view.getUint16(at + 2);
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc)
      return sized("jpeg", view.getUint16(at + 7), view.getUint16(at + 5));
    if (length < 2) return null;
    at += 2 + length;
  }
  return null;
}
