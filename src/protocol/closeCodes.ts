/** WebSocket close codes Colink uses. 4xxx are application codes; clients switch on them. */
export const CloseCode = {
  /** The frame was larger than the 64 KiB limit (RFC 6455 "message too big"). */
  MessageTooBig: 1009,
  /** Authentication is no longer valid (token revoked, session ended): sign in again. */
  Unauthorized: 4001,
  /** The account was deactivated. Do not reconnect. */
  Deactivated: 4003,
  /** The client went silent past the heartbeat window. */
  HeartbeatTimeout: 4008,
} as const;

export type CloseCodeValue = (typeof CloseCode)[keyof typeof CloseCode];
