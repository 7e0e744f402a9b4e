import { useEffect, useState } from "preact/hooks";
import type { Colink, FileInfo } from "../../../client/index.ts";
import { useColink } from "../context.ts";
import { type Attachments, formatSize, STATUS_TEXT } from "../uploads.ts";
import { problemText } from "./forms.tsx";
import { DownloadIcon, FileIcon, ImageIcon, ShieldIcon } from "./Icons.tsx";

// Files in messages and in the composer. Their bytes need the bearer token, which an <img src> or
// an <a href> cannot send: they are fetched as blobs and shown through object URLs (which the
// page's img-src allows as blob:).

/** The longest side of a thumbnail as shown (the server makes them at most 360 px). */
const THUMB_MAX = 360;

function thumbSize(file: FileInfo): { width: number; height: number } | null {
  if (!file.image) return null;
  const { width, height } = file.image;
  const scale = Math.min(1, THUMB_MAX / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** Saves a clean file's bytes under its name. */
export async function download(colink: Colink, file: FileInfo): Promise<void> {
  const blob = await colink.api.fileBlob(file.id, "content");
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = file.filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

const fileIcon = (file: FileInfo) =>
  file.status === "quarantined" || file.status === "scan_failed" ? (
    <ShieldIcon />
  ) : file.content_type.startsWith("image/") ? (
    <ImageIcon />
  ) : (
    <FileIcon />
  );

function StatusTag({ file }: { file: FileInfo }) {
  if (file.status === "clean") return null;
  const bad = file.status === "quarantined" || file.status === "scan_failed";
  return (
    <span class={`file-status ${file.status}`} role={bad ? "alert" : "status"}>
      {bad ? "⚠ " : ""}
      {STATUS_TEXT[file.status]}
    </span>
  );
}

/** An image's preview, fetched with the token once the file is clean. */
function Thumbnail({ file }: { file: FileInfo }) {
  const colink = useColink();
  const [url, setUrl] = useState<string | null>(null);
  const [failed, setFailed] = useState<string | null>(null);
  const size = thumbSize(file);
  useEffect(() => {
    const abort = new AbortController();
    let made: string | null = null;
    colink.api
      .fileBlob(file.id, "thumbnail", abort.signal)
      .then((blob) => {
        made = URL.createObjectURL(blob);
        setUrl(made);
      })
      .catch((e: unknown) => {
        if (!abort.signal.aborted) setFailed(problemText(e));
      });
    return () => {
      abort.abort();
      if (made) URL.revokeObjectURL(made);
    };
  }, [file.id]);
  if (failed) return <FileChip file={file} />;
  return (
    <figure class="file-image">
      <button
        type="button"
        class="thumb"
        title={`Download ${file.filename}`}
        aria-label={`Download ${file.filename}`}
        style={size ? { width: `${size.width}px`, height: `${size.height}px` } : undefined}
        onClick={() => void download(colink, file).catch((e: unknown) => setFailed(problemText(e)))}
      >
        {url ? (
          <img src={url} alt={file.filename} width={size?.width} height={size?.height} />
        ) : (
          <span class="thumb-loading">Loading…</span>
        )}
      </button>
      <figcaption>
        {file.filename} <span class="muted">{formatSize(file.size)}</span>
      </figcaption>
    </figure>
  );
}

/** A file as a chip: what it is, its size, its scan status, and the download once it is clean. */
function FileChip({ file }: { file: FileInfo }) {
  const colink = useColink();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <div class={`file-chip ${file.status}`} title={file.filename}>
      <span class="file-icon" aria-hidden="true">
        {fileIcon(file)}
      </span>
      <span class="file-meta">
        <span class="file-name" title={file.filename}>
          {file.filename}
        </span>
        <span class="muted">
          {formatSize(file.size)} <StatusTag file={file} />
        </span>
        {error && <span class="error">{error}</span>}
      </span>
      {file.status === "clean" && (
        <button
          type="button"
          class="icon"
          aria-label={`Download ${file.filename}`}
          title="Download"
          disabled={busy}
          onClick={async () => {
            setBusy(true);
            setError(null);
            try {
              await download(colink, file);
            } catch (e) {
              setError(problemText(e));
            } finally {
              setBusy(false);
            }
          }}
        >
          <DownloadIcon />
        </button>
      )}
    </div>
  );
}

/** The files a message carries: clean images inline as thumbnails, everything else as chips. */
export function MessageFiles({ files }: { files: FileInfo[] }) {
  if (!files.length) return null;
  return (
    <ul class="message-files" aria-label="Files">
      {files.map((f) => (
        <li key={f.id}>{f.status === "clean" && f.thumbnail ? <Thumbnail key="t" file={f} /> : <FileChip key="c" file={f} />}</li>
      ))}
    </ul>
  );
}

/** The composer's files: progress while the bytes go, then the scan status, and a way to drop each. */
export function AttachmentTray({ attachments }: { attachments: Attachments }) {
  if (!attachments.items.length) return null;
  return (
    <ul class="attachments" aria-label="Attachments">
      {attachments.items.map((a) => {
        const status = a.error ? null : !a.file || a.file.status === "uploading" ? "uploading" : a.file.status;
        const percent = a.size ? Math.round((a.loaded / a.size) * 100) : 100;
        return (
          <li key={a.key} class={`attachment ${a.error ? "failed" : (status ?? "")}`}>
            <span class="file-meta">
              <span class="file-name" title={a.name}>
                {a.name}
              </span>
              <span class="muted">
                {formatSize(a.size)}
                {a.error ? (
                  <span class="error" role="alert">
                    {" "}
                    {a.error}
                  </span>
                ) : status === "uploading" ? (
                  ` · ${percent}%`
                ) : (
                  a.file && (
                    <>
                      {" · "}
                      <span class={`file-status ${a.file.status}`} role="status">
                        {a.file.status === "clean"
                          ? "✓ Clean"
                          : a.file.status === "quarantined"
                            ? "⚠ Quarantined: remove it to send"
                            : a.file.status === "scan_failed"
                              ? "⚠ Scan failed: it will not be downloadable"
                              : STATUS_TEXT[a.file.status]}
                      </span>
                    </>
                  )
                )}
              </span>
              {status === "uploading" && (
                <progress max={100} value={percent} aria-label={`Uploading ${a.name}`}>
                  {percent}%
                </progress>
              )}
            </span>
            <button type="button" class="icon" aria-label={`Remove ${a.name}`} title="Remove" onClick={() => attachments.remove(a.key)}>
              ×
            </button>
          </li>
        );
      })}
    </ul>
  );
}
