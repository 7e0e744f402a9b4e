import { IMAGE_HEADER_BYTES, imageHeader } from "../../lib/imageHeader";
import type { FileRow } from "../queries/files";
import { storageKeys } from "./uploadUrl";

export type ImageFacts = { width: number; height: number; thumbnail: boolean };

/**
 * Decompression-bomb guard: an image whose header declares more pixels than this is never decoded
 * (it keeps `image: null` and no thumbnail). Decoding takes 4 bytes a pixel, and a Worker has 128 MB.
 */
export const IMAGE_PIXEL_BUDGET = 16_777_216;
/** Larger files are not read whole into memory to be decoded: their header's size is recorded, without a thumbnail. */
export const IMAGE_DECODE_MAX_BYTES = 20 * 1024 * 1024;
/** The thumbnail's longest side. */
export const THUMBNAIL_MAX_SIDE = 360;

/**
 * For a PNG, JPEG, GIF or WebP (by its bytes, not its declared type): its width and height and a
 * WebP thumbnail at most 360 px on the long side, stored under thumbnails/. Decoded with
 * `@cf-wasm/photon` (Rust's `image` crate in WebAssembly), loaded only when an image needs it so
 * no other request pays for instantiating it. Null for anything else, and for images over the
 * pixel budget. Reads only the object version that was scanned (`etag`).
 */
export async function describeImage(env: Env, row: FileRow, etag: string): Promise<ImageFacts | null> {
  const head = await env.FILES.get(row.storageKey, { onlyIf: { etagMatches: etag }, range: { offset: 0, length: IMAGE_HEADER_BYTES } });
  if (!head || !("body" in head)) return null;
  const header = imageHeader(new Uint8Array(await head.arrayBuffer()));
  if (!header || header.width * header.height > IMAGE_PIXEL_BUDGET) return null;
  const facts = { width: header.width, height: header.height };
  if (row.size > IMAGE_DECODE_MAX_BYTES) return { ...facts, thumbnail: false };
  const object = await env.FILES.get(row.storageKey, { onlyIf: { etagMatches: etag } });
  if (!object || !("body" in object)) return null;
  const thumbnail = await makeThumbnail(new Uint8Array(await object.arrayBuffer()));
  if (!thumbnail) return { ...facts, thumbnail: false };
  await env.FILES.put(storageKeys(row.id).thumbnail, thumbnail, { httpMetadata: { contentType: "image/webp" } });
  return { ...facts, thumbnail: true };
}

/** A WebP at most THUMBNAIL_MAX_SIDE on its long side (never enlarged); null when the image does not decode. */
async function makeThumbnail(bytes: Uint8Array): Promise<Uint8Array | null> {
  const { PhotonImage, SamplingFilter, resize } = await import("@cf-wasm/photon");
  let image: InstanceType<typeof PhotonImage> | null = null;
  let resized: InstanceType<typeof PhotonImage> | null = null;
  try {
    image = PhotonImage.new_from_byteslice(bytes);
    const width = image.get_width();
    const height = image.get_height();
    const scale = Math.min(1, THUMBNAIL_MAX_SIDE / Math.max(width, height));
    const w = Math.max(1, Math.round(width * scale));
    const h = Math.max(1, Math.round(height * scale));
    resized = scale < 1 ? resize(image, w, h, SamplingFilter.Triangle) : null;
    return (resized ?? image).get_bytes_webp();
  } catch {
    return null;
  } finally {
    resized?.free();
    image?.free();
  }
}
