import type { Actor } from "../../durable-objects/channel-room/rpcTypes";
import type { AuthUser } from "./auth/authUser";

/** The caller as a ChannelRoom sees them: every room call, read or change, names one. */
export const actorOf = (user: { id: string; role: AuthUser["role"] }): Actor => ({ id: user.id, role: user.role });
