/** Headers the Worker sets on the WebSocket upgrade it forwards to a UserSession (never client-set). */
export const USER_ID_HEADER = "x-colink-user-id";
export const SESSION_ID_HEADER = "x-colink-session-id";
