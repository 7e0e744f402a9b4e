import { config } from "./config";

/** What every client counts as when the platform does not say who it is (TRUST_CF_CONNECTING_IP=false). */
export const UNTRUSTED_ADDRESS = "local";

/**
 * The client's address, for throttling. On Cloudflare the edge sets `cf-connecting-ip` and
 * overwrites any value the client sent; `wrangler dev` passes a client's own value through, so
 * there (TRUST_CF_CONNECTING_IP=false) the header is ignored and all clients are one address.
 * An IPv6 client counts by its /64: one subscriber usually holds a whole /64 and can pick any
 * address in it.
 */
export function clientAddress(env: Env, header: string | undefined): string {
  if (!config(env).TRUST_CF_CONNECTING_IP) return UNTRUSTED_ADDRESS;
  const address = header?.trim().slice(0, 64).toLowerCase() || "unknown";
  const mappedIpv4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(address)?.[1];
  if (mappedIpv4) return mappedIpv4;
  return address.includes(":") ? (ipv6Prefix64(address) ?? address) : address;
}

/** `2001:db8:a:b::1` → `2001:db8:a:b::/64`; null when it is not an IPv6 address. */
function ipv6Prefix64(address: string): string | null {
  const halves = address.split("::");
  if (halves.length > 2) return null;
  const groups = (part: string | undefined) => (part ? part.split(":") : []);
  const head = groups(halves[0]);
  const tail = groups(halves[1]);
  // An embedded IPv4 tail (::ffff:192.0.2.1) lies in the last 64 bits, so it never changes the prefix.
  const width = (gs: string[]) => gs.reduce((n, g) => n + (g.includes(".") ? 2 : 1), 0);
  const missing = 8 - width(head) - width(tail);
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  const prefix = all.slice(0, 4);
  if (prefix.length < 4 || !prefix.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return null;
  return `${prefix.map((g) => g.replace(/^0+(?=.)/, "")).join(":")}::/64`;
}
