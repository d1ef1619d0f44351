/**
 * The request side of the HTTP/1.1 client: the head as bytes (request-target
 * as UTF-8, the way the listener decoded it; header values as latin-1, the
 * way `Headers` holds them) and the streamed body with its framing.
 * @module
 */
import { putBytes, putFieldLine, putLatin1 } from "./http1_bytes.ts";
import { readClientChunk } from "./request_body.ts";
import type { Http1Connection } from "./upstream_connection.ts";
import type { FieldLines } from "./upstream_types.ts";

/** How the body is framed: a length, chunked, or no body at all. */
export type BodyFraming = number | "chunked" | "none";

const encoder = new TextEncoder();
const CRLF = encoder.encode("\r\n");
const LAST_CHUNK = encoder.encode("0\r\n\r\n");
const COALESCE_CHUNK = 16 * 1024;

/**
 * Encodes the request line and headers (`headers` flattened name/value pairs)
 * plus the framing header. The bytes are written straight into one array
 * (one byte per character: header values are byte strings), which costs less
 * than joining a string and encoding it; only a non-ASCII request-target goes
 * through the UTF-8 encoder.
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
  return encodeRequestHeadInto(undefined, method, target, headers, framing, 0);
}

/**
 * {@linkcode encodeRequestHead} written at the start of `scratch` when the
 * head and `room` more bytes fit there (a connection's reused buffer: no
 * new array for the head, and a small body can follow it in the same
 * write), else into a new array of the head's size. Returns the head's bytes.
 * `fields`, when given, are written before `headers`: the forwarded fields
 * copied from the client's bytes (`forwarded_fields.ts`).
 */
export function encodeRequestHeadInto(
  scratch: Uint8Array | undefined,
  method: string,
  target: string,
  headers: string[],
  framing: BodyFraming,
  room: number,
  fields?: FieldLines,
): Uint8Array {
  return writeRequestHead(scratch, undefined, method, target, headers, framing, room, fields);
}

/** Where a connection writes its request heads (`request_head_scratch.ts`). */
export interface HeadScratch {
  /** A buffer of at least `size` bytes, the same for every request; `undefined` when too large. */
  scratch(size: number): Uint8Array | undefined;
  /** The first `length` bytes of that buffer, as a view handed again while as long. */
  scratchHead(length: number): Uint8Array;
}

/**
 * {@linkcode encodeRequestHeadInto} in the buffer of `c` (with
 * `room` bytes after the head for a small body) when it fits: the head's
 * view of it is the connection's, made again only when the head's length
 * changes.
 */
export function encodeRequestHeadOn(
  c: HeadScratch,
  room: number,
  method: string,
  target: string,
  headers: string[],
  framing: BodyFraming,
  fields?: FieldLines,
): Uint8Array {
  const scratch = c.scratch(1024 + room);
  return writeRequestHead(scratch, c, method, target, headers, framing, room, fields);
}

function writeRequestHead(
  scratch: Uint8Array | undefined,
  owner: HeadScratch | undefined,
  method: string,
  target: string,
  headers: string[],
  framing: BodyFraming,
  room: number,
  fields: FieldLines | undefined,
): Uint8Array {
  const line = requestLine(method, target);
  const framingLine = framing === "none"
    ? ""
    : framing === "chunked"
    ? "transfer-encoding: chunked\r\n"
    : "content-length: " + framing + "\r\n";
  let length = line.length + framingLine.length + 2;
  for (let i = 0; i < headers.length; i++) length += headers[i].length + 2;
  if (fields !== undefined) length += fields.byteLength();
  const out = scratch !== undefined && length + room <= scratch.length
    ? scratch
    : new Uint8Array(length);
  let at = putBytes(out, 0, line);
  if (fields !== undefined) at = fields.writeInto(out, at);
  for (let i = 0; i < headers.length; i += 2) {
    at = putFieldLine(out, at, headers[i], headers[i + 1]);
  }
  if (framingLine !== "") at = putLatin1(out, at, framingLine);
  out[at++] = 13;
  out[at] = 10;
  if (out !== scratch) return out;
  return owner === undefined ? out.subarray(0, length) : owner.scratchHead(length);
}

/**
 * The request line last written, kept as bytes: a client asks for the
 * same method and target over and over, and a copy of the bytes costs a
 * fraction of writing the strings' characters again.
 */
let lastMethod = "";
let lastTarget = "";
let lastLine = new Uint8Array(0);

/** The bytes of `method target HTTP/1.1\r\n` (the target as UTF-8, the rest latin-1). */
function requestLine(method: string, target: string): Uint8Array {
  if (target === lastTarget && method === lastMethod && lastLine.length !== 0) return lastLine;
  const targetBytes = isAscii(target) ? null : encoder.encode(target);
  const targetLength = targetBytes === null ? target.length : targetBytes.length;
  const line = new Uint8Array(method.length + 1 + targetLength + VERSION.length);
  let at = putLatin1(line, 0, method);
  line[at++] = 32;
  if (targetBytes === null) at = putLatin1(line, at, target);
  else {
    line.set(targetBytes, at);
    at += targetBytes.length;
  }
  putLatin1(line, at, VERSION);
  lastMethod = method;
  lastTarget = target;
  lastLine = line;
  return line;
}

const VERSION = " HTTP/1.1\r\n";

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 127) return false;
  return true;
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
      const { value, done } = await readClientChunk(reader);
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
