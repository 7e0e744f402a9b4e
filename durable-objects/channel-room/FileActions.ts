import type { FileInfo } from "../../src/protocol/files";
import type { RoomCore } from "./RoomCore";

/**
 * Files the Worker announces to the room: a status change (`file.updated`, also for a file only
 * uploaded for this channel and not posted yet) or a deletion (`file.deleted`, only where the
 * file is shown). The stored copies messages carry change in the same transaction as the event.
 */
export class FileActions {
  constructor(private readonly room: RoomCore) {}

  updated(file: FileInfo): boolean {
    if (!this.room.meta.read()) return false;
    this.room.commit((emit) => {
      this.room.files.update(file);
      emit("file.updated", { file }, new Date());
    });
    return true;
  }

  /** The messages that carried it are re-indexed too, so `has:file` stops finding those left with none. */
  deleted(fileId: string): boolean {
    if (!this.room.meta.read()) return false;
    return this.room.commit((emit) => {
      const seqs = this.room.files.carriers(fileId);
      if (this.room.files.remove(fileId) === 0) return false;
      const at = new Date();
      emit("file.deleted", { file_id: fileId }, at);
      for (const seq of seqs) this.room.searchOutbox.add(seq, at.getTime());
      return true;
    });
  }
}
