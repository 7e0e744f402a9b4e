import type { ColinkApi } from "./api.ts";
import type { CreatedFile, FileInfo } from "./contract.ts";
import { apiErrorFrom, ColinkNetworkError } from "./errors.ts";

// Uploading a file, the three steps of API.md "Files": POST /files (where to send the bytes), the
// bytes themselves with exactly the method and headers that call gave (to this service, or
// straight to R2 with a presigned URL on another origin), then POST /files/{id}/complete, after
// which the file is `scanning` and `file.updated` events tell its verdict.

export type UploadProgress = { loaded: number; total: number };

/** What is uploaded: a browser File (its name and type are used) or any Blob with a name. */
export type UploadSource = Blob & { name?: string };

export type UploadOptions = {
  /** The channel the file is for: it hears of every status change (file.updated). */
  channelId?: string;
  /** Overrides the File's own name / type. */
  filename?: string;
  contentType?: string;
  /** Called as the bytes go out (in browsers, per XMLHttpRequest upload progress event). */
  onProgress?: (progress: UploadProgress) => void;
  /** Called once the server has handed out the file's id (before the bytes are sent). */
  onCreated?: (created: CreatedFile) => void;
  signal?: AbortSignal;
};

/** Sends the bytes to an upload URL; resolves once the server accepted them. */
export type BytesSender = (
  upload: CreatedFile["upload"],
  body: Blob,
  options: { onProgress?: (progress: UploadProgress) => void; signal?: AbortSignal },
) => Promise<void>;

/**
 * The browser's way: XMLHttpRequest, the one API with upload progress. A failed answer becomes
 * the same typed error as any API call (the service's upload route answers problem+json; R2 does
 * not, and the status still names it).
 */
export const xhrSender: BytesSender = (upload, body, { onProgress, signal }) =>
  new Promise<void>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(upload.method, upload.url);
    for (const [k, v] of Object.entries(upload.headers)) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => onProgress?.({ loaded: e.loaded, total: e.lengthComputable ? e.total : body.size });
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress?.({ loaded: body.size, total: body.size });
        resolve();
        return;
      }
      const res = new Response(xhr.responseText || null, {
        status: xhr.status,
        statusText: xhr.statusText,
        headers: { "content-type": xhr.getResponseHeader("content-type") ?? "text/plain" },
      });
      void apiErrorFrom(res, null).then(reject, reject);
    };
    xhr.onerror = () => reject(new ColinkNetworkError(`${upload.method} upload: the connection failed`));
    xhr.onabort = () => reject(signal?.reason ?? new DOMException("The upload was aborted", "AbortError"));
    if (signal) {
      // An XHR aborted before send() fires no event: settle here.
      if (signal.aborted) return reject(signal.reason);
      signal.addEventListener("abort", () => xhr.abort(), { once: true });
    }
    xhr.send(body);
  });

/** Elsewhere (Node, workers): fetch, with one progress report at the end. */
export const fetchSender =
  (fetchImpl: (input: string, init: RequestInit) => Promise<Response> = (i, init) => globalThis.fetch(i, init)): BytesSender =>
  async (upload, body, { onProgress, signal }) => {
    let res: Response;
    try {
      res = await fetchImpl(upload.url, { method: upload.method, headers: upload.headers, body, signal });
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      throw new ColinkNetworkError(`${upload.method} upload: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    if (!res.ok) throw await apiErrorFrom(res, null);
    await res.body?.cancel();
    onProgress?.({ loaded: body.size, total: body.size });
  };

export const defaultSender = (): BytesSender => (typeof XMLHttpRequest === "function" ? xhrSender : fetchSender());

/** Creates the file, sends its bytes, completes it: the file comes back `scanning`. */
export async function uploadFile(
  api: ColinkApi,
  source: UploadSource,
  options: UploadOptions = {},
  send = defaultSender(),
): Promise<FileInfo> {
  const filename = options.filename ?? source.name ?? "file";
  const contentType = options.contentType ?? (source.type || "application/octet-stream");
  const created = await api.createFile({
    filename,
    content_type: contentType,
    size: source.size,
    ...(options.channelId ? { channel_id: options.channelId } : {}),
  });
  options.onCreated?.(created);
  options.onProgress?.({ loaded: 0, total: source.size });
  await send(created.upload, source, { onProgress: options.onProgress, signal: options.signal });
  return api.completeFile(created.file.id);
}
