/**
 * The current time as an HTTP date (RFC 9110 §5.6.7, IMF-fixdate), made
 * once a second rather than per response: every server of the gateway that
 * adds a `date` field (our HTTP/1.1 and HTTP/2 servers) reads it here.
 *
 * @example
 * ```ts
 * import { httpDate } from "./http_date.ts";
 * httpDate(); // "Tue, 01 Dec 2026 07:20:00 GMT"
 * ```
 * @module
 */

let second = -1;
let text = "";

/** Now as an HTTP date; the same string throughout a second. */
export function httpDate(): string {
  const now = Math.floor(Date.now() / 1000);
  if (now !== second) {
    second = now;
    text = new Date(now * 1000).toUTCString();
  }
  return text;
}
