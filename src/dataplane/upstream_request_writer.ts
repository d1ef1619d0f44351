/**
 * The request side of the HTTP/1.1 client: the head as bytes (request-target
 * as UTF-8, the way the listener decoded it; header values as latin-1, the
 * way `Headers` holds them) and the streamed body with its framing.
 * @module
 */
import type { Http1Connection } from "./upstream_connection.ts";

/** How the body is framed: a length, chunked, or no body at all. */
export type BodyFraming = number | "chunked" | "none";

const encoder = new TextEncoder();
// deno-lint-ignore no-control-regex
const NON_ASCII = /[^\x00-\x7f]/;
const CRLF = encoder.encode("\r\n");
const LAST_CHUNK = encoder.encode("0\r\n\r\n");
const COALESCE_CHUNK = 16 * 1024;

/**
 * Encodes the request line and headers (`headers` flattened name/value pairs)
 * plus the framing header.
 *
 * @example
 * ```ts
 * import { encodeRequestHead } from "./upstream_request_writer.ts";
 * encodeRequestHead("GET", "/a?b", ["host", "example.com"], "none");
 * ```
 */
export function encodeRequestHead(
  method: string,
  target: string,
  headers: string[],
  framing: BodyFraming,
): Uint8Array {
  let block = "";
  for (let i = 0; i < headers.length; i += 2) block += headers[i] + ": " + headers[i + 1] + "\r\n";
  if (framing === "chunked") block += "transfer-encoding: chunked\r\n";
  else if (framing !== "none") block += "content-length: " + framing + "\r\n";
  block += "\r\n";
  const line = method + " " + target + " HTTP/1.1\r\n";
  if (!NON_ASCII.test(block)) return encoder.encode(line + block);
  const lineBytes = encoder.encode(line);
  const out = new Uint8Array(lineBytes.length + block.length);
  out.set(lineBytes);
  for (let i = 0; i < block.length; i++) out[lineBytes.length + i] = block.charCodeAt(i);
  return out;
}

/** Streams `body` to the connection, chunk-encoded when `chunked`. */
export async function sendBody(
  c: Http1Connection,
  body: ReadableStream<Uint8Array>,
  chunked: boolean,
): Promise<void> {
  const reader = body.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      if (value.length === 0) continue;
      if (!chunked) {
        await c.write(value);
        continue;
      }
      const size = encoder.encode(value.length.toString(16) + "\r\n");
      if (value.length <= COALESCE_CHUNK) {
        const framed = new Uint8Array(size.length + value.length + 2);
        framed.set(size);
        framed.set(value, size.length);
        framed.set(CRLF, size.length + value.length);
        await c.write(framed);
      } else {
        await c.write(size);
        await c.write(value);
        await c.write(CRLF);
      }
    }
    if (chunked) await c.write(LAST_CHUNK);
  } catch (error) {
    await reader.cancel(error).catch(() => {});
    throw error;
  } finally {
    reader.releaseLock();
  }
}
