import { eq } from "drizzle-orm";
import type { Database } from "../../db/client";
import { type FileRow, fileFromRow } from "../../db/fileFromRow";
import { filePosts, files } from "../../db/schema";
import { notFound } from "../../lib/ColinkError";
import { channelRoom } from "../../lib/stubs";
import type { FileInfo } from "../../protocol/files";
import { actorOf } from "../actorOf";
import type { AuthUser } from "../auth/authUser";

// Moved below services/ so the socket send (lib/attachFiles.ts) shares them; re-exported for the callers here.
export { type FileRow, fileFromRow };

/** Most posted channels looked at to decide whether someone may read a file. */
const MAX_CHANNELS_CHECKED = 50;

export const fileRow = (db: Database, fileId: string): Promise<FileRow | undefined> =>
  db.select().from(files).where(eq(files.id, fileId)).get();

/** The channels a file has been posted in. */
export async function postedChannelIds(db: Database, fileId: string): Promise<string[]> {
  const rows = await db.select({ channelId: filePosts.channelId }).from(filePosts).where(eq(filePosts.fileId, fileId)).all();
  return rows.map((r) => r.channelId);
}

/**
 * Whether `user` may read the file: its uploader, or someone who may read a channel it was posted
 * in. Each channel's ChannelRoom decides (its members and kind are the authority, not the directory).
 */
export async function mayReadFile(env: Env, db: Database, user: AuthUser, row: FileRow): Promise<boolean> {
  if (row.uploadedBy === user.id) return true;
  const channelIds = (await postedChannelIds(db, row.id)).slice(0, MAX_CHANNELS_CHECKED);
  for (const channelId of channelIds) {
    const seen = await channelRoom(env, channelId).getChannel(actorOf(user));
    if (seen.ok) return true;
  }
  return false;
}

/** The file, for whoever may read it; 404 for anyone else, as for a file that does not exist. */
export async function readableFile(env: Env, db: Database, user: AuthUser, fileId: string): Promise<FileRow> {
  const row = await fileRow(db, fileId);
  if (!row || !(await mayReadFile(env, db, user, row))) throw notFound("file");
  return row;
}

export async function getFile(env: Env, db: Database, user: AuthUser, fileId: string): Promise<FileInfo> {
  return fileFromRow(await readableFile(env, db, user, fileId));
}
