import type { RoomResult } from "../../durable-objects/channel-room/rpcTypes";
import { ColinkError } from "../lib/ColinkError";

/** The value of a ChannelRoom answer, or its error thrown as the ColinkError it stands for. */
export function roomValue<T>(result: RoomResult<T>): T {
  if (result.ok) return result.value;
  const { status, code, detail, errors, retryAfterSeconds } = result.error;
  throw new ColinkError(status, code, detail, { errors, retryAfterSeconds });
}
