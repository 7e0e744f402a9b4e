import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import type { Colink, FileInfo, FileStatus } from "../../client/index.ts";
import { problemText } from "./components/forms.tsx";

// The files waiting in a composer: each is uploaded as soon as it is picked, dropped or pasted
// (progress from the SDK's upload), then its scan status follows the channel's file.updated
// events until the message that carries it is sent.

export type Attachment = {
  key: string;
  name: string;
  size: number;
  /** Bytes sent so far. */
  loaded: number;
  /** The server's copy once POST /files answered; its status moves on with file.updated. */
  file: FileInfo | null;
  error: string | null;
};

export type Attachments = {
  items: Attachment[];
  add: (files: Iterable<File>) => void;
  remove: (key: string) => void;
  /** Forgets them all (after a send: they belong to the message now). */
  clear: () => void;
  /** Every file is uploaded and none is refused: the message can go. */
  ready: boolean;
  fileIds: string[];
};

/** Most files one message carries (src/protocol/files.ts MAX_FILES_PER_MESSAGE). */
export const MAX_ATTACHMENTS = 10;

/** A status never moves back (a late `complete` answer must not undo the scan's verdict). */
const RANK: Record<FileStatus, number> = { uploading: 0, scanning: 1, clean: 2, quarantined: 2, scan_failed: 2 };
const newer = (old: FileInfo | null, next: FileInfo) => (!old || RANK[next.status] >= RANK[old.status] ? next : old);

export function useAttachments(colink: Colink, channelId: string): Attachments {
  const [items, setItems] = useState<Attachment[]>([]);
  const aborts = useRef(new Map<string, AbortController>());
  const update = (key: string, change: (a: Attachment) => Attachment) =>
    setItems((list) => list.map((a) => (a.key === key ? change(a) : a)));

  useEffect(
    () =>
      colink.store.onFile((change) =>
        setItems((list) =>
          list.some((a) => a.file && (change.deleted ? a.file.id === change.fileId : a.file.id === change.file.id))
            ? list.flatMap((a) => {
                if (!a.file) return [a];
                if (change.deleted) return a.file.id === change.fileId ? [] : [a];
                return a.file.id === change.file.id ? [{ ...a, file: newer(a.file, change.file) }] : [a];
              })
            : list,
        ),
      ),
    [colink],
  );
  // Uploads still running when the composer goes are stopped.
  useEffect(
    () => () => {
      for (const c of aborts.current.values()) c.abort();
    },
    [],
  );

  const add = (files: Iterable<File>) => {
    const picked = [...files].slice(0, Math.max(0, MAX_ATTACHMENTS - items.length));
    for (const source of picked) {
      const key = crypto.randomUUID();
      const abort = new AbortController();
      aborts.current.set(key, abort);
      // A pasted image may come without a name.
      const name = source.name || `pasted-${new Date().toISOString().replace(/[:.]/g, "-")}.${source.type.split("/")[1] ?? "bin"}`;
      setItems((list) => [...list, { key, name, size: source.size, loaded: 0, file: null, error: null }]);
      colink.api
        .upload(source, {
          channelId,
          filename: name,
          signal: abort.signal,
          onCreated: (created) => update(key, (a) => ({ ...a, file: newer(a.file, created.file) })),
          onProgress: (p) => update(key, (a) => ({ ...a, loaded: p.loaded })),
        })
        .then((file) => update(key, (a) => ({ ...a, loaded: a.size, file: newer(a.file, file) })))
        .catch((e: unknown) => {
          if (!abort.signal.aborted) update(key, (a) => ({ ...a, error: problemText(e) }));
        })
        .finally(() => aborts.current.delete(key));
    }
  };

  const remove = (key: string) => {
    aborts.current.get(key)?.abort();
    const gone = items.find((a) => a.key === key);
    setItems((list) => list.filter((a) => a.key !== key));
    // Not sent in any message: nobody else can see it, so it goes (best effort).
    if (gone?.file) void colink.api.deleteFile(gone.file.id).catch(() => {});
  };

  return useMemo(() => {
    const ready = items.every((a) => !a.error && a.file && a.file.status !== "uploading" && a.file.status !== "quarantined");
    return {
      items,
      add,
      remove,
      clear: () => setItems([]),
      ready,
      fileIds: items.flatMap((a) => (a.file ? [a.file.id] : [])),
    };
  }, [items, channelId]);
}

const UNITS = ["B", "KB", "MB", "GB"];
export function formatSize(bytes: number): string {
  let n = bytes;
  let u = 0;
  while (n >= 1024 && u < UNITS.length - 1) {
    n /= 1024;
    u++;
  }
  return `${u === 0 ? n : n < 10 ? n.toFixed(1) : Math.round(n)} ${UNITS[u]}`;
}

export const STATUS_TEXT: Record<FileStatus, string> = {
  uploading: "Uploading…",
  scanning: "Scanning…",
  clean: "Clean",
  quarantined: "Quarantined",
  scan_failed: "Scan failed",
};

/** True when a drag carries files (not text or a link). */
const carriesFiles = (e: DragEvent) => !!e.dataTransfer?.types.includes("Files");

/**
 * Makes an element a drop zone for files: spread `handlers` on it, show an overlay while
 * `dragging`. Dropped files go to `onFiles` (unless `disabled`, e.g. an archived channel).
 */
export function useFileDrop(onFiles: (files: FileList) => void, disabled = false) {
  const [dragging, setDragging] = useState(false);
  const depth = useRef(0);
  const handlers = {
    onDragEnter: (e: DragEvent) => {
      if (!carriesFiles(e) || disabled) return;
      e.preventDefault();
      depth.current++;
      setDragging(true);
    },
    onDragOver: (e: DragEvent) => {
      if (!carriesFiles(e) || disabled) return;
      e.preventDefault();
      if (e.dataTransfer) e.dataTransfer.dropEffect = "copy";
    },
    onDragLeave: () => {
      depth.current = Math.max(0, depth.current - 1);
      if (depth.current === 0) setDragging(false);
    },
    onDrop: (e: DragEvent) => {
      depth.current = 0;
      setDragging(false);
      if (!carriesFiles(e) || disabled) return;
      e.preventDefault();
      // The channel's zone must not take a drop meant for the thread beside it, and vice versa.
      e.stopPropagation();
      if (e.dataTransfer?.files.length) onFiles(e.dataTransfer.files);
    },
  };
  return { dragging, handlers };
}

/** Files dropped outside any zone must not make the browser leave the page to show them. */
export function useNoStrayDrops() {
  useEffect(() => {
    const keep = (e: DragEvent) => {
      if (carriesFiles(e)) e.preventDefault();
    };
    window.addEventListener("dragover", keep);
    window.addEventListener("drop", keep);
    return () => {
      window.removeEventListener("dragover", keep);
      window.removeEventListener("drop", keep);
    };
  }, []);
}
