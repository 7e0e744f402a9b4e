import type { FileRow } from "../queries/files";

export type ImageFacts = { width: number; height: number; thumbnail: boolean };

/** Width, height and a thumbnail for the images Colink decodes; null for anything else. */
export async function describeImage(_env: Env, _row: FileRow, _etag: string): Promise<ImageFacts | null> {
  return null;
}
