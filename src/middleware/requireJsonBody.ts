import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { ColinkError } from "../lib/ColinkError";
import { config } from "../lib/config";

export const MAX_JSON_BYTES = 256 * 1024;
const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;.*)?$/i;

/** The local upload route streams its body into R2 itself (routes/files.ts): it is no JSON body. */
const UPLOAD_PATH = /^\/api\/v1\/files\/[^/]+\/upload$/;

const unsupportedType = () => new ColinkError(400, "unsupported_content_type", "Send the body as application/json.");
const tooLarge = () => new ColinkError(413, "body_too_large", `Request bodies are limited to ${MAX_JSON_BYTES} bytes.`);

/**
 * Every request that carries a body to the JSON API must say it is JSON (400 otherwise), stay under
 * the size limit (413) and arrive within REQUEST_BODY_TIMEOUT_SECONDS (408). The body is read once
 * here, counted as it streams in, so neither a lying Content-Length nor an endless chunked body nor
 * one that never finishes can hold the request; the routes' validators read the cached text.
 */
export const requireJsonBody = createMiddleware<AppEnv>(async (c, next) => {
  const method = c.req.method;
  if (method === "GET" || method === "HEAD" || method === "OPTIONS") return next();
  if (method === "PUT" && UPLOAD_PATH.test(c.req.path)) return next();
  const length = Number(c.req.header("content-length") ?? "0");
  if (length > MAX_JSON_BYTES) throw tooLarge();
  const body = c.req.raw.body;
  if (body === null) return next();
  const isJson = JSON_TYPE.test(c.req.header("content-type") ?? "");
  const declared = length > 0 || c.req.header("transfer-encoding") !== undefined;
  if (declared && !isJson) throw unsupportedType();
  // Read even when nothing was declared: the validators would otherwise read it, unbounded.
  const text = await readBody(body, config(c.env).REQUEST_BODY_TIMEOUT_SECONDS * 1000);
  if (text !== "" && !isJson) throw unsupportedType();
  // Hono's body cache (what c.req.json() and the validators read) holds promises of each form.
  (c.req.bodyCache as { text?: Promise<string> }).text = Promise.resolve(text);
  return next();
});

async function readBody(body: ReadableStream<Uint8Array>, timeoutMs: number): Promise<string> {
  const reader = body.getReader();
  let timer: ReturnType<typeof setTimeout> | null = null;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new ColinkError(408, "request_timeout", `The request body did not arrive within ${timeoutMs / 1000} s.`)),
      timeoutMs,
    );
  });
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await Promise.race([reader.read(), timedOut]);
      } catch (error) {
        if (error instanceof ColinkError) throw error;
        // The client went away mid-body (workerd: "Network connection lost"): nobody will read the
        // answer, but it is the client's doing, not a server error.
        throw new ColinkError(400, "incomplete_body", "The request body ended before it was complete.");
      }
      if (chunk.done) break;
      size += chunk.value.byteLength;
      if (size > MAX_JSON_BYTES) throw tooLarge();
      chunks.push(chunk.value);
    }
  } catch (error) {
    // Stop waiting for the rest; the runtime may then drop the connection once it has answered.
    reader.cancel().catch(() => {});
    throw error;
  } finally {
    clearTimeout(timer);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}
