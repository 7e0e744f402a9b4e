// Lives in src/lib (a send over the socket, in a UserSession, emits user events too).
export { emitUserEvent } from "../lib/emitUserEvent";
