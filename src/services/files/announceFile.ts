import type { Database } from "../../db/client";
import { log } from "../../lib/log";
import { channelRoom } from "../../lib/stubs";
import { type FileRow, fileFromRow, postedChannelIds } from "../queries/files";

/**
 * Tells each channel that shows the file (the one named at upload and every one it was posted in)
 * that it changed: `file.updated` with the file, or `file.deleted` (`channelIds` then lists where
 * it was posted, read before the rows went). Best effort per channel: the file's state is in D1
 * already, and a failure is logged.
 */
export async function announceFile(
  env: Env,
  db: Database,
  row: FileRow,
  deletion?: { deleted: true; channelIds: string[] },
): Promise<void> {
  const posted = deletion ? deletion.channelIds : await postedChannelIds(db, row.id);
  const channelIds = [...new Set([...(row.channelId ? [row.channelId] : []), ...posted])];
  const file = fileFromRow(row);
  await Promise.all(
    channelIds.map(async (channelId) => {
      try {
        const room = channelRoom(env, channelId);
        if (deletion) await room.fileDeleted(file.id);
        else await room.fileUpdated(file);
      } catch (error) {
        log("warn", "file announcement failed", { file_id: file.id, channel_id: channelId, error });
      }
    }),
  );
}
