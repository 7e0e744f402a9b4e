import { ColinkError } from "../../src/lib/ColinkError";
import type { RoomResult } from "./rpcTypes";

/** Runs an RPC body, turning a ColinkError into an error value (RPC would keep only its message). */
export function answer<T>(body: () => T): RoomResult<T> {
  try {
    return { ok: true, value: body() };
  } catch (err) {
    if (!(err instanceof ColinkError)) throw err;
    const { errors, retryAfterSeconds } = err.extra;
    return { ok: false, error: { status: err.status, code: err.code, detail: err.detail, errors, retryAfterSeconds } };
  }
}
