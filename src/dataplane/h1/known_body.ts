/**
 * The bytes a `Response` was made with, when the gateway made it from
 * bytes: our HTTP/1.1 server writes them with the head in one write
 * instead of reading them back through the Response's stream (a reader,
 * a promise and a copy per answer). A Response made elsewhere has none and
 * is streamed as usual.
 * @module
 */

const BYTES: unique symbol = Symbol("serval.responseBytes");

type Marked = Response & { [BYTES]?: Uint8Array };

/**
 * Notes that `response`'s body is exactly `bytes` and returns `response`.
 *
 * @example
 * ```ts
 * import { knownBody, withKnownBody } from "./known_body.ts";
 * const bytes = new TextEncoder().encode("ok");
 * knownBody(withKnownBody(new Response(bytes), bytes)); // bytes
 * ```
 */
export function withKnownBody(response: Response, bytes: Uint8Array): Response {
  (response as Marked)[BYTES] = bytes;
  return response;
}

/** The bytes `response` was made with, or `undefined` (then read its body). */
export function knownBody(response: Response): Uint8Array | undefined {
  const bytes = (response as Marked)[BYTES];
  // A body already read (e.g. by a logger) is no longer the Response's to give.
  return bytes !== undefined && !response.bodyUsed ? bytes : undefined;
}
