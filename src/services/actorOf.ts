import type { Actor } from "../../durable-objects/channel-room/rpcTypes";
import type { AuthUser } from "./auth/authUser";

/** The caller as a ChannelRoom sees them: every room call, read or change, names one (with the request id where the room may audit). */
export const actorOf = (user: { id: string; role: AuthUser["role"] }, requestId?: string): Actor =>
  requestId === undefined ? { id: user.id, role: user.role } : { id: user.id, role: user.role, requestId };
