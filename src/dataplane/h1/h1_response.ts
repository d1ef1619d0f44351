/**
 * Writes answers to an HTTP/1.1 client: status line, the answer's header
 * fields (minus the ones framing and the connection own), `Date`, then the
 * body framed by Content-Length, chunked, or (HTTP/1.0 with a body of
 * unknown length) the connection's end; a chunked body ends with the
 * backend's trailers when the client accepts them (`h1_trailers.ts`). A body
 * known whole (a backend's small body, or one the gateway made from bytes,
 * `known_body.ts`) goes out with the head in one write; a streamed one is
 * written chunk by chunk, each write awaited, so a client that reads slowly
 * slows the upstream read instead of filling our memory.
 *
 * One {@linkcode AnswerWriter} per connection frames its answers: `response`
 * or `upstream` builds the head (and known body) as bytes and decides the
 * framing, the server writes those bytes, and `finish` streams the rest when
 * there is a stream. The common answer is then one write and one await.
 * @module
 */
import { knownBody } from "./known_body.ts";
import type { UpstreamResponse } from "../upstream_types.ts";
import { type Trailers, trailersOf } from "../response_trailers.ts";
import { trailerSection } from "./h1_trailers.ts";
import { dateField, fieldPrefix, HeadBytes } from "./h1_head_bytes.ts";

const CONTENT_LENGTH = fieldPrefix("content-length");
const TRANSFER_ENCODING = fieldPrefix("transfer-encoding");
const CONNECTION = fieldPrefix("connection");

const encoder = new TextEncoder();

/**
 * The head {@linkcode AnswerWriter} last framed whole for a remembered
 * backend head (by its lines, which the head memo of `upstream_head_parser.ts`
 * holds: an entry goes with them), and the body length and `Date` line
 * (`undefined`: the backend sent one) it was made for.
 */
const framedHeads = new WeakMap<
  Uint8Array,
  { length: number; date: Uint8Array | undefined; head: Uint8Array }
>();
const CRLF = encoder.encode("\r\n");
const LAST_CHUNK = encoder.encode("0\r\n\r\n");

/** Writes all of `bytes` (a write may take only part). */
export async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += await conn.write(off === 0 ? bytes : bytes.subarray(off));
}

/** Frames the answers of one connection, one at a time. */
export class AnswerWriter {
  readonly #head = new HeadBytes();
  #declared: string | null = null;
  #close = false;
  #date = false;
  #stream: ReadableStream<Uint8Array> | null = null;
  #chunked = false;
  #length: number | null = null;
  #trailers: Promise<Trailers> | undefined;

  /**
   * One field (as `Headers.forEach` gives it): the ones framing and the
   * connection own are held back. A field, so it is bound once per connection.
   */
  readonly #add = (value: string, name: string): void => {
    switch (name) {
      case "content-length":
        this.#declared = value;
        return;
      case "connection":
        if (/(^|[\s,])close($|[\s,])/i.test(value)) this.#close = true;
        return;
      case "transfer-encoding":
      case "keep-alive":
        return;
      case "date":
        this.#date = true;
    }
    this.#head.field(name, value);
  };

  /**
   * The bytes of `res` for a request of `method` in HTTP/1.`minor`: its head,
   * and its body when known whole. `close`: the connection closes after
   * this answer. A backend's trailers go to a client that accepts them
   * (`trailers`: it sent `TE: trailers`, `RequestHead.trailers`).
   */
  response(
    res: Response,
    method: string,
    minor: number,
    close: boolean,
    trailers = false,
  ): Uint8Array {
    this.#begin(res.status, close);
    res.headers.forEach(this.#add);
    const bytes = knownBody(res);
    const pending = trailers && minor === 1 ? trailersOf(res) : undefined;
    return this.#frame(
      res.status,
      method,
      minor,
      bytes,
      bytes === undefined ? res.body : null,
      pending,
    );
  }

  /**
   * The bytes of a backend's response as it came (the fast path), by the
   * rules {@linkcode response} applies to the `Response` the handler would
   * have made of it: the same framing, `Date` and connection handling;
   * header fields in the backend's order, repeated ones as sent.
   */
  upstream(res: UpstreamResponse, method: string, minor: number, close: boolean): Uint8Array {
    const lines = res.lines;
    const body = res.body;
    const status = res.status;
    if (
      lines !== undefined && body instanceof Uint8Array && method === "GET" && minor === 1 &&
      !close && res.contentLength === null && status >= 200 && status !== 204 && status !== 304
    ) {
      const remembered = lines.rememberedLines();
      if (remembered !== undefined) return this.#whole(status, remembered, lines.date, body);
    }
    this.#begin(res.status, close);
    if (lines !== undefined) {
      // The backend's field lines as bytes: made once for a head it sends again, else copied
      // from its connection's buffer. None is one `#add` holds back (the head parser kept
      // framing and hop-by-hop ones apart).
      const remembered = lines.rememberedLines();
      if (remembered !== undefined) this.#head.append(remembered);
      else {
        const { buf, places } = lines;
        for (let i = 0; i < places.length; i += 4) {
          this.#head.fieldBytes(buf, places[i], places[i + 1], places[i + 2], places[i + 3]);
        }
      }
      this.#date = lines.date;
    } else {
      const headers = res.headers;
      for (let i = 0; i < headers.length; i++) this.#add(headers[i][1], headers[i][0]);
    }
    if (res.contentLength !== null) this.#add(String(res.contentLength), "content-length");
    return body instanceof Uint8Array
      ? this.#frame(res.status, method, minor, body, null, undefined)
      : this.#frame(res.status, method, minor, undefined, body, undefined);
  }

  /**
   * The answer to a GET on a connection kept open in HTTP/1.1, of status
   * `status`, whose backend head is remembered (`lines`, with a `Date`
   * field when `dated`) and whose body came whole: what {@linkcode #frame}
   * makes of it (the fields, `Date` unless sent, the body's length). Its
   * head is the same bytes while the backend's head, the second's `Date`
   * and the body's length are: made once, then copied whole, where framing
   * it cost five copies and the length's digits.
   */
  #whole(status: number, lines: Uint8Array, dated: boolean, body: Uint8Array): Uint8Array {
    this.#declared = null;
    this.#close = false;
    this.#date = dated;
    this.#stream = null;
    this.#trailers = undefined;
    const head = this.#head;
    const date = dated ? undefined : dateField();
    const known = framedHeads.get(lines);
    if (known !== undefined && known.length === body.length && known.date === date) {
      head.beginWith(known.head);
    } else {
      head.begin(status);
      head.append(lines);
      if (date !== undefined) head.append(date);
      head.prefixedNumber(CONTENT_LENGTH, body.length);
      head.end();
      framedHeads.set(lines, { length: body.length, date, head: head.copy() });
    }
    if (body.length > 0) head.append(body);
    return head.bytes();
  }

  /** The bytes of the last answer were written: its buffer may serve the next one. */
  written(): void {
    this.#head.release();
  }

  /** Whether the last answer streams a body after its bytes (then call {@linkcode finish}). */
  get streams(): boolean {
    return this.#stream !== null;
  }

  /** Whether the connection may carry another request after an answer that does not stream. */
  get keepsAlive(): boolean {
    return !this.#close;
  }

  /**
   * Writes the streamed body of the last answer (its bytes written before);
   * resolves whether the connection may carry another request (false when
   * the answer asked to close, or its body ended early).
   */
  async finish(conn: Deno.Conn): Promise<boolean> {
    const stream = this.#stream!;
    const chunked = this.#chunked;
    const trailers = this.#trailers;
    const length = this.#length;
    const close = this.#close;
    this.#stream = null;
    this.#trailers = undefined;
    const sent = await writeStream(conn, stream, chunked);
    if (chunked) {
      await writeAll(conn, trailers === undefined ? LAST_CHUNK : await lastChunk(trailers));
    }
    return !close && (length === null || sent === length);
  }

  #begin(status: number, close: boolean): void {
    this.#declared = null;
    this.#close = close;
    this.#date = false;
    this.#stream = null;
    this.#trailers = undefined;
    this.#head.begin(status);
  }

  /**
   * Ends the head with its framing: `bytes`, a body known whole; else
   * `stream` (`null`: no body).
   */
  #frame(
    status: number,
    method: string,
    minor: number,
    bytes: Uint8Array | undefined,
    stream: ReadableStream<Uint8Array> | null,
    trailers: Promise<Trailers> | undefined,
  ): Uint8Array {
    const head = this.#head;
    if (!this.#date) head.date();
    const declared = this.#declared;
    const bodiless = method === "HEAD" || status === 204 || status === 304 || status < 200;
    let length: number | null;
    if (bodiless) {
      // A HEAD or 304 answer tells the length a GET would get; 204 and 1xx have none.
      length = status === 204 || status < 200
        ? null
        : declared !== null
        ? Number(declared)
        : method === "HEAD" && bytes !== undefined
        ? bytes.length
        : null;
    } else if (bytes !== undefined) length = bytes.length;
    else if (stream === null) length = 0;
    // Trailers only follow a chunked body: the backend's length gives way to them.
    else length = declared === null || trailers !== undefined ? null : Number(declared);
    const chunked = !bodiless && stream !== null && length === null && minor === 1;
    if (!bodiless && stream !== null && length === null && !chunked) this.#close = true;
    if (length !== null && Number.isSafeInteger(length)) {
      head.prefixedNumber(CONTENT_LENGTH, length);
    }
    if (chunked) head.prefixedField(TRANSFER_ENCODING, "chunked");
    if (this.#close) head.prefixedField(CONNECTION, "close");
    else if (minor === 0) head.prefixedField(CONNECTION, "keep-alive");
    head.end();
    if (bodiless || stream === null) {
      stream?.cancel().catch(() => {});
      if (!bodiless && bytes !== undefined && bytes.length > 0) head.append(bytes);
    } else {
      this.#stream = stream;
      this.#chunked = chunked;
      this.#length = length;
      this.#trailers = trailers;
    }
    return head.bytes();
  }
}

/** The trailer section of `trailers`; a backend that failed before them gets none. */
async function lastChunk(trailers: Promise<Trailers>): Promise<Uint8Array> {
  return trailerSection(await trailers.catch((): Trailers => []));
}

/** Copies `stream` to `conn` (chunk data framed when `chunked`, not the last chunk); the byte count sent. */
async function writeStream(
  conn: Deno.Conn,
  stream: ReadableStream<Uint8Array>,
  chunked: boolean,
): Promise<number> {
  const reader = stream.getReader();
  let sent = 0;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      if (value.length === 0) continue;
      sent += value.length;
      if (chunked) {
        await writeAll(
          conn,
          concat(encoder.encode(value.length.toString(16) + "\r\n"), value, CRLF),
        );
      } else await writeAll(conn, value);
    }
    return sent;
  } catch (error) {
    reader.cancel(error).catch(() => {});
    throw error;
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  let size = 0;
  for (const p of parts) size += p.length;
  const out = new Uint8Array(size);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
