import { connect } from "cloudflare:sockets";

// A clamd client over TCP (`connect()` from cloudflare:sockets): the INSTREAM command of clamd's
// protocol (clamd(8)). The stream goes in chunks of at most 64 KiB, each after its length as a
// 4-byte big-endian integer, ended by a zero length; clamd answers one line.

export const CLAMD_CHUNK_BYTES = 64 * 1024;

export type ClamdVerdict = { clean: true } | { clean: false; signature: string };

/** clamd could not be reached, timed out or answered something that is no verdict: try again later. */
export class ClamdUnavailable extends Error {
  override readonly name = "ClamdUnavailable";
}

/** The stream is longer than clamd's StreamMaxLength: it cannot be scanned at all (clamd would only drop the connection). */
export class ClamdStreamTooLong extends Error {
  override readonly name = "ClamdStreamTooLong";
}

const withTimeout = <T>(promise: Promise<T>, ms: number, what: string): Promise<T> => {
  let timer: ReturnType<typeof setTimeout> | null = null;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ClamdUnavailable(`clamd ${what} timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
};

/**
 * Streams `body` to clamd and returns its verdict. `onChunk` sees every byte sent (to hash them
 * on the way). Counts the bytes against `maxBytes` (clamd's StreamMaxLength) itself and stops
 * before clamd would. Anything but `stream: OK` or `stream: <name> FOUND` is ClamdUnavailable.
 */
export async function clamdScan(
  address: { hostname: string; port: number },
  body: ReadableStream<Uint8Array>,
  options: { maxBytes: number; timeoutMs?: number; onChunk?: (chunk: Uint8Array) => void | Promise<void> },
): Promise<ClamdVerdict> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  let socket: Socket;
  try {
    socket = connect(address);
    // A failed connection also rejects `closed`; nobody else waits on it.
    socket.closed.catch(() => {});
    await withTimeout(socket.opened, Math.min(timeoutMs, 10_000), "connect");
  } catch (error) {
    body.cancel().catch(() => {});
    if (error instanceof ClamdUnavailable) throw error;
    throw new ClamdUnavailable(`cannot reach clamd at ${address.hostname}:${address.port}: ${String(error)}`);
  }
  const writer = socket.writable.getWriter();
  const reader = body.getReader();
  const answer = readAnswer(socket.readable);
  // Surfaces a dropped connection while we are still writing; the writes then fail too.
  answer.catch(() => {});
  try {
    await writer.write(new TextEncoder().encode("zINSTREAM\0"));
    let sent = 0;
    for (;;) {
      const { done, value } = await withTimeout(reader.read(), timeoutMs, "read of the file");
      if (done) break;
      for (let at = 0; at < value.byteLength; at += CLAMD_CHUNK_BYTES) {
        const chunk = value.subarray(at, Math.min(at + CLAMD_CHUNK_BYTES, value.byteLength));
        sent += chunk.byteLength;
        if (sent > options.maxBytes) throw new ClamdStreamTooLong(`the file is over clamd's StreamMaxLength (${options.maxBytes} bytes)`);
        await options.onChunk?.(chunk);
        const frame = new Uint8Array(4 + chunk.byteLength);
        new DataView(frame.buffer).setUint32(0, chunk.byteLength);
        frame.set(chunk, 4);
        await withTimeout(writer.write(frame), timeoutMs, "write");
      }
    }
    await withTimeout(writer.write(new Uint8Array(4)), timeoutMs, "write");
    return parseVerdict(await withTimeout(answer, timeoutMs, "answer"));
  } catch (error) {
    reader.cancel().catch(() => {});
    if (error instanceof ClamdStreamTooLong || error instanceof ClamdUnavailable) throw error;
    throw new ClamdUnavailable(`clamd scan failed: ${String(error)}`);
  } finally {
    socket.close().catch(() => {});
  }
}

async function readAnswer(readable: ReadableStream<Uint8Array>): Promise<string> {
  const reader = readable.getReader();
  const decoder = new TextDecoder();
  let text = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
    if (text.includes("\0") || text.length > 4096) break;
  }
  reader.cancel().catch(() => {});
  return text;
}

/** `stream: OK` → clean; `stream: <signature> FOUND` → infected; anything else (ERROR, garbage, nothing) is no verdict. */
export function parseVerdict(raw: string): ClamdVerdict {
  const line = raw.split("\0")[0]?.trim() ?? "";
  if (line === "stream: OK") return { clean: true };
  const found = /^stream: (.+) FOUND$/.exec(line);
  if (found?.[1]) return { clean: false, signature: found[1] };
  throw new ClamdUnavailable(`clamd answered no verdict: ${JSON.stringify(line.slice(0, 200))}`);
}
