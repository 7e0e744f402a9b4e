import { type FileInfo, FileSchema } from "../../src/protocol/files";

const parseFile = (json: string): FileInfo => FileSchema.parse(JSON.parse(json));

/**
 * The files messages carry (`message_files`): each as it was last announced to the room, so
 * history shows a file's current status without asking the directory. The Worker announces every
 * change (`file.updated`) and deletion (`file.deleted`).
 */
export class FileStore {
  constructor(private readonly sql: SqlStorage) {}

  /** The files of these messages, by message seq, in the order they were attached. */
  of(seqs: readonly number[]): Map<number, FileInfo[]> {
    const bySeq = new Map<number, FileInfo[]>();
    if (seqs.length === 0) return bySeq;
    const rows = this.sql
      .exec<{ seq: number; file: string }>(
        `SELECT seq, file FROM message_files WHERE seq IN (SELECT value FROM json_each(?)) ORDER BY seq, position`,
        JSON.stringify(seqs),
      )
      .toArray();
    for (const row of rows) {
      const list = bySeq.get(row.seq) ?? [];
      list.push(parseFile(row.file));
      bySeq.set(row.seq, list);
    }
    return bySeq;
  }

  /** Also takes back a release of the file still waiting in the directory outbox (posted again here after retention pruned it). */
  attach(seq: number, files: readonly FileInfo[]): void {
    for (const [position, file] of files.entries()) {
      this.sql.exec("DELETE FROM file_release_outbox WHERE file_id = ?", file.id);
      this.sql.exec(
        "INSERT INTO message_files (seq, position, file_id, file) VALUES (?, ?, ?, ?)",
        seq,
        position,
        file.id,
        JSON.stringify(file),
      );
    }
  }

  /** Replaces the stored copy of a file; returns how many messages carry it. */
  update(file: FileInfo): number {
    return this.sql.exec("UPDATE message_files SET file = ? WHERE file_id = ?", JSON.stringify(file), file.id).rowsWritten;
  }

  /** The seqs of the messages that carry a file. */
  carriers(fileId: string): number[] {
    return this.sql
      .exec<{ seq: number }>("SELECT DISTINCT seq FROM message_files WHERE file_id = ?", fileId)
      .toArray()
      .map((r) => r.seq);
  }

  /** A deleted file leaves every message; returns how many carried it. */
  remove(fileId: string): number {
    return this.sql.exec("DELETE FROM message_files WHERE file_id = ?", fileId).rowsWritten;
  }

  /** A deleted message's tombstone carries no files. */
  clear(seq: number): void {
    this.sql.exec("DELETE FROM message_files WHERE seq = ?", seq);
  }
}
