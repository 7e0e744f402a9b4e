// Small helpers for hibernatable WebSockets.

/** WebSocket.readyState of an open socket. */
export const OPEN = 1;

/** Codes a server may put in a close frame (RFC 6455 §7.4): not 1004–1006, 1015 or out of range. */
export function sendableCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

/** Closes without throwing on a socket that is already closing or closed. */
export function closeQuietly(ws: WebSocket, code: number, reason: string): void {
  try {
    ws.close(sendableCloseCode(code) ? code : 1000, reason.slice(0, 120));
  } catch {
    // already closed
  }
}

/** Sends without throwing on a socket that went away mid-delivery. */
export function sendQuietly(ws: WebSocket, frame: string): boolean {
  try {
    ws.send(frame);
    return true;
  } catch {
    return false;
  }
}
