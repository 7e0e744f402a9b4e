/** Headers the Worker sets on the WebSocket upgrade it forwards to a UserSession (never client-set). */
export const USER_ID_HEADER = "x-colink-user-id";
export const SESSION_ID_HEADER = "x-colink-session-id";
/** The user's workspace role, as the handshake read it from D1 (a socket's `send` names it to the room). */
export const ROLE_HEADER = "x-colink-user-role";
