/**
 * The trailer section our HTTP/1.1 server sends after a chunked body (RFC
 * 9112 §7.1.2), with the trailers a backend sent (`response_trailers.ts`).
 * Only to a client that said `TE: trailers` (RFC 9110 §10.1.4: it accepts
 * trailer fields "on behalf of itself and any downstream clients"); any
 * other client could drop them silently, so it gets the body alone, as
 * before. Fields that frame, route or control the message are never sent
 * in a trailer section (RFC 9110 §6.5.1, `mayBeTrailer`), nor a name or
 * value a head would refuse.
 *
 * @example
 * ```ts
 * import { namesTrailers, trailerSection } from "./h1_trailers.ts";
 * namesTrailers("gzip;q=0.5, trailers"); // true
 * new TextDecoder().decode(trailerSection([["x-checksum", "abc"]]));
 * // "0\r\nx-checksum: abc\r\n\r\n"
 * ```
 * @module
 */
import { isFieldValue, isToken } from "../http1_bytes.ts";
import { mayBeTrailer, type Trailers } from "../response_trailers.ts";

const encoder = new TextEncoder();

/** Whether one `TE` field value names `trailers` (in a list, with parameters, in any case). */
export function namesTrailers(value: string): boolean {
  for (const part of value.split(",")) {
    if (part.split(";")[0].trim().toLowerCase() === "trailers") return true;
  }
  return false;
}

/** The last chunk, then `trailers` that may be sent, then the section's end. */
export function trailerSection(trailers: Trailers): Uint8Array {
  let text = "0\r\n";
  for (const [name, value] of trailers) {
    const lower = name.toLowerCase();
    if (!mayBeTrailer(lower) || lower.startsWith(":") || !isToken(lower) || !isFieldValue(value)) {
      continue;
    }
    text += `${lower}: ${value}\r\n`;
  }
  return encoder.encode(text + "\r\n");
}
