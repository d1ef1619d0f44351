/**
 * The header field names most requests and responses carry, as shared
 * lower-case strings: a head's field name that is one of them (in any case)
 * is taken from here instead of being cut from the head and lower-cased, so
 * a request (or an upstream's response head) allocates no string for it,
 * and every later lookup of it (the handler's switches, the hop-by-hop set)
 * compares a string the engine already knows instead of hashing a new one.
 *
 * @example
 * ```ts
 * import { knownFieldName } from "./known_field_names.ts";
 * const bytes = new TextEncoder().encode("User-Agent: x");
 * knownFieldName(bytes, 0, 10); // "user-agent"
 * ```
 * @module
 */

const NAMES = [
  "host",
  "user-agent",
  "accept",
  "accept-encoding",
  "accept-language",
  "connection",
  "content-length",
  "content-type",
  "cookie",
  "referer",
  "origin",
  "authorization",
  "cache-control",
  "pragma",
  "upgrade-insecure-requests",
  "if-none-match",
  "if-modified-since",
  "x-forwarded-for",
  "x-forwarded-proto",
  "x-forwarded-host",
  "x-request-id",
  "x-real-ip",
  "te",
  "transfer-encoding",
  "expect",
  "upgrade",
  "keep-alive",
  "sec-fetch-site",
  "sec-fetch-mode",
  "sec-fetch-dest",
  "sec-fetch-user",
  "sec-ch-ua",
  "sec-ch-ua-mobile",
  "sec-ch-ua-platform",
  "dnt",
  "range",
  "forwarded",
  "via",
  // Response heads (the upstream client reads them with the same table).
  "date",
  "server",
  "etag",
  "last-modified",
  "accept-ranges",
  "vary",
  "expires",
  "location",
  "set-cookie",
  "content-encoding",
  "age",
  "trailer",
];

/** Names by length, each with its bytes. */
const BY_LENGTH: { name: string; bytes: Uint8Array }[][] = [];
for (const name of NAMES) {
  const bytes = Uint8Array.from(name, (c) => c.charCodeAt(0));
  (BY_LENGTH[name.length] ??= []).push({ name, bytes });
}

/**
 * The shared lower-case string of the field name `buf[start, end)` when it
 * is a known one, in any case; else `undefined`. The bytes are tokens (the
 * caller checked them), so folding ASCII letters is enough.
 */
export function knownFieldName(buf: Uint8Array, start: number, end: number): string | undefined {
  const candidates = BY_LENGTH[end - start];
  if (candidates === undefined) return undefined;
  for (let k = 0; k < candidates.length; k++) {
    const { name, bytes } = candidates[k];
    let i = 0;
    while (i < bytes.length) {
      const b = buf[start + i];
      // Upper-case letters become lower-case; every other token byte stays.
      if ((b >= 65 && b <= 90 ? b + 32 : b) !== bytes[i]) break;
      i++;
    }
    if (i === bytes.length) return name;
  }
  return undefined;
}
