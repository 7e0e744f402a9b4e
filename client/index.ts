// @colink/client: the typed SDK for Colink's HTTP + WebSocket API (../shared/API.md).

export type { Channel, ChannelMember, ChannelReadState } from "../src/protocol/channels";
export type { Mentions, Message, Reaction } from "../src/protocol/messages";
export type { Pin } from "../src/protocol/pins";
export type { PresenceStatus, PresenceView } from "../src/protocol/presence";
export type { Role } from "../src/protocol/roles";
export type { ThreadState } from "../src/protocol/threads";
export type { UserView } from "../src/protocol/users";
export { type AuthResult, ColinkApi, type Page, type ProfileUpdate, type RegisterRequest, type SendRequest } from "./api.ts";
export { type BackoffPolicy, backoffDelay, retryAfterMs } from "./backoff.ts";
export { Colink, type ColinkOptions, tokensFrom } from "./Colink.ts";
export type * from "./contract.ts";
export { ColinkApiError, ColinkNetworkError, type FieldProblem, isApiError } from "./errors.ts";
export * from "./events.ts";
export { DEFAULT_RETRY, type FetchLike, HttpClient, type RetryPolicy } from "./http.ts";
export { Realtime, type RealtimeStatus, type SocketAuth, SocketSendLost, type WebSocketFactory, type WebSocketLike } from "./realtime.ts";
export { Session, type TokenRefresher, type Tokens } from "./session.ts";
export * from "./store.ts";
export { type CursorStore, type Cursors, EventSync, MemoryCursorStore, type SyncHandlers } from "./sync.ts";
export {
  type BytesSender,
  defaultSender,
  fetchSender,
  type UploadOptions,
  type UploadProgress,
  type UploadSource,
  uploadFile,
  xhrSender,
} from "./upload.ts";
