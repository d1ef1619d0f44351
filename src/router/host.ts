/**
 * The host name a request is routed by, taken from its `Host` header or
 * `:authority` pseudo-header.
 * @module
 */

const MAX_HOST_LENGTH = 253;
const LABEL = /^[a-z0-9_-]{1,63}$/;
const IPV6 = /^[0-9a-f:.]+$/;
const PORT = /^[0-9]{0,5}$/;

/**
 * Extract the routing host from an authority (`host[:port]`): lower-cased,
 * without port, without IPv6 brackets and without a trailing dot.
 *
 * Returns `null` when the authority is not a host name, an IPv4 address or a
 * bracketed IPv6 address (user info, a bare IPv6 address, non-ASCII or empty
 * labels, a port that is not a number up to 65535): the data plane answers 400.
 * Port numbers are never considered for routing, as Gateway API requires.
 *
 * @example
 * ```ts
 * import { hostFromAuthority } from "./host.ts";
 * hostFromAuthority("API.Example.com.:8443"); // "api.example.com"
 * hostFromAuthority("[::1]:80"); // "::1"
 * hostFromAuthority("user@example.com"); // null
 * ```
 */
export function hostFromAuthority(authority: string): string | null {
  const lower = authority.toLowerCase();
  if (lower.startsWith("[")) {
    const end = lower.indexOf("]");
    if (end === -1) return null;
    const address = lower.slice(1, end);
    if (!validPort(lower.slice(end + 1))) return null;
    return IPV6.test(address) && address.includes(":") ? address : null;
  }
  let host = lower;
  const colon = lower.lastIndexOf(":");
  if (colon !== -1) {
    host = lower.slice(0, colon);
    if (!validPort(lower.slice(colon))) return null;
  }
  // One trailing dot names the same (fully qualified) host; two is garbage.
  if (host.endsWith(".")) host = host.slice(0, -1);
  if (host.length === 0 || host.length > MAX_HOST_LENGTH) return null;
  for (const label of host.split(".")) {
    if (!LABEL.test(label)) return null;
  }
  return host;
}

/** `rest` is what follows the host: empty, or `:` and an optional port number. */
function validPort(rest: string): boolean {
  if (rest === "") return true;
  if (rest[0] !== ":") return false;
  const digits = rest.slice(1);
  return PORT.test(digits) && (digits === "" || Number(digits) <= 65535);
}
