// Download headers for uploaded files: always an attachment, never sniffed, and a Content-Type
// that cannot make the service's origin render someone's HTML or SVG.

/** `attachment` with the filename as RFC 6266 wants it: an ASCII fallback and the UTF-8 original (RFC 8187). */
export function attachmentDisposition(filename: string): string {
  const fallback = filename.replace(/[^\x20-\x7e]/g, "_").replace(/["\\%]/g, "_") || "download";
  const encoded = encodeURIComponent(filename).replace(/['()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

/**
 * Types served as declared: ones no browser runs as a document on our origin. Everything else
 * (HTML, SVG, XML, JavaScript, anything unknown) is served as application/octet-stream.
 */
const SERVED_AS_IS = new Set([
  "image/png",
  "image/jpeg",
  "image/gif",
  "image/webp",
  "image/avif",
  "application/pdf",
  "application/zip",
  "application/gzip",
  "audio/mpeg",
  "audio/ogg",
  "audio/wav",
  "video/mp4",
  "video/webm",
  "text/plain",
  "text/csv",
]);

export function safeContentType(declared: string): string {
  const essence = declared.split(";")[0]?.trim().toLowerCase() ?? "";
  if (!SERVED_AS_IS.has(essence)) return "application/octet-stream";
  return essence.startsWith("text/") ? `${essence}; charset=utf-8` : essence;
}

/** The headers every file download carries, whatever its type. */
export function downloadHeaders(filename: string, contentType: string, size: number): Headers {
  return new Headers({
    "content-type": safeContentType(contentType),
    "content-length": String(size),
    "content-disposition": attachmentDisposition(filename),
    "x-content-type-options": "nosniff",
    // Even opened directly, nothing in it may run or load anything.
    "content-security-policy": "default-src 'none'; sandbox",
    "cache-control": "private, max-age=300",
    "cross-origin-resource-policy": "same-origin",
  });
}
