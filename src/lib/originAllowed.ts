/**
 * Whether a browser origin may use Colink (HTTP API through CORS, sockets through the handshake's
 * Origin check, ASVS 4.4.2): the service's own origin always, others only when listed in
 * ALLOWED_ORIGINS (`*` for any).
 */
export function originAllowed(allowed: readonly string[], origin: string, requestUrl: string): boolean {
  if (allowed.includes("*") || allowed.includes(origin)) return true;
  return URL.parse(requestUrl)?.origin === origin;
}
