/**
 * Writes a `Response` to an HTTP/1.1 client: status line, the Response's
 * headers (minus the ones framing and the connection own), `Date`, then the
 * body framed by Content-Length, chunked, or (HTTP/1.0 with a body of
 * unknown length) the connection's end; a chunked body ends with the
 * backend's trailers when the client accepts them (`h1_trailers.ts`). A body the gateway made from bytes
 * goes out with the head in one write (`known_body.ts`); a streamed one is
 * written chunk by chunk, each write awaited, so a client that reads slowly
 * slows the upstream read instead of filling our memory.
 * @module
 */
import { STATUS_TEXT } from "@std/http";
import { knownBody } from "./known_body.ts";
import type { UpstreamResponse } from "../upstream_types.ts";
import { type Trailers, trailersOf } from "../response_trailers.ts";
import { acceptsTrailers, trailerSection } from "./h1_trailers.ts";

const encoder = new TextEncoder();
const CRLF = encoder.encode("\r\n");
const LAST_CHUNK = encoder.encode("0\r\n\r\n");

let dateSecond = -1;
let dateText = "";

/** The `Date` value of this second (one string per second, not per answer). */
function httpDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(now).toUTCString();
  }
  return dateText;
}

/** Writes all of `bytes` (a write may take only part). */
export async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += await conn.write(off === 0 ? bytes : bytes.subarray(off));
}

/** What the request asked that shapes its answer. */
export interface AnswerContext {
  method: string;
  /** HTTP/1.`minor` of the request. */
  minor: number;
  /** The connection closes after this answer. */
  close: boolean;
  /** The request's fields: a backend's trailers go to a client that accepts them (`h1_trailers.ts`). */
  fields?: readonly [string, string][];
}

/**
 * Writes `res`; resolves whether the connection may carry another request
 * (false when the answer asked to close, or its body could not be framed
 * or ended early).
 */
export function writeResponse(
  conn: Deno.Conn,
  res: Response,
  ctx: AnswerContext,
): Promise<boolean> {
  const head = new HeadLines(res.status, ctx.close);
  res.headers.forEach(head.add);
  const bytes = knownBody(res);
  const pending = trailersOf(res);
  const trailers = pending !== undefined && ctx.minor === 1 && ctx.fields !== undefined &&
      acceptsTrailers(ctx.fields)
    ? pending
    : undefined;
  return writeAnswer(conn, head, bytes, bytes === undefined ? res.body : null, ctx, trailers);
}

/**
 * Writes a backend's response as it came (the fast path of `h1_fast.ts`),
 * by the rules {@linkcode writeResponse} applies to the `Response` the
 * handler would have made of it: the same framing, `Date` and connection
 * handling; header fields in the backend's order, repeated ones as sent.
 */
export function writeUpstreamResponse(
  conn: Deno.Conn,
  res: UpstreamResponse,
  ctx: AnswerContext,
): Promise<boolean> {
  const head = new HeadLines(res.status, ctx.close);
  const headers = res.headers;
  for (let i = 0; i < headers.length; i++) head.add(headers[i][1], headers[i][0]);
  if (res.contentLength !== null) head.add(String(res.contentLength), "content-length");
  const body = res.body;
  return body instanceof Uint8Array
    ? writeAnswer(conn, head, body, null, ctx)
    : writeAnswer(conn, head, undefined, body, ctx);
}

/** A response head being written: its lines, and what framing and connection fields said. */
class HeadLines {
  text: string;
  declared: string | null = null;
  close: boolean;
  date = false;

  constructor(readonly status: number, close: boolean) {
    this.text = `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? ""}\r\n`;
    this.close = close;
  }

  /** One field (as `Headers.forEach` gives it): the ones framing and the connection own are held back. */
  readonly add = (value: string, name: string): void => {
    switch (name) {
      case "content-length":
        this.declared = value;
        return;
      case "connection":
        if (/(^|[\s,])close($|[\s,])/i.test(value)) this.close = true;
        return;
      case "transfer-encoding":
      case "keep-alive":
        return;
      case "date":
        this.date = true;
    }
    this.text += `${name}: ${value}\r\n`;
  };
}

/**
 * Frames and writes an answer: `bytes`, a body known whole; else `stream`
 * (`null`: no body).
 */
async function writeAnswer(
  conn: Deno.Conn,
  lines: HeadLines,
  bytes: Uint8Array | undefined,
  stream: ReadableStream<Uint8Array> | null,
  ctx: AnswerContext,
  trailers?: Promise<Trailers>,
): Promise<boolean> {
  const status = lines.status;
  let head = lines.text;
  if (!lines.date) head += `date: ${httpDate()}\r\n`;
  const declared = lines.declared;
  let close = lines.close;
  const bodiless = ctx.method === "HEAD" || status === 204 || status === 304 || status < 200;
  let length: number | null;
  if (bodiless) {
    // A HEAD or 304 answer tells the length a GET would get; 204 and 1xx have none.
    length = status === 204 || status < 200
      ? null
      : declared !== null
      ? Number(declared)
      : ctx.method === "HEAD" && bytes !== undefined
      ? bytes.length
      : null;
  } else if (bytes !== undefined) length = bytes.length;
  else if (stream === null) length = 0;
  // Trailers only follow a chunked body: the backend's length gives way to them.
  else length = declared === null || trailers !== undefined ? null : Number(declared);
  const chunked = !bodiless && stream !== null && length === null && ctx.minor === 1;
  if (!bodiless && stream !== null && length === null && !chunked) close = true;
  if (length !== null && Number.isSafeInteger(length)) head += `content-length: ${length}\r\n`;
  if (chunked) head += "transfer-encoding: chunked\r\n";
  if (close) head += "connection: close\r\n";
  else if (ctx.minor === 0) head += "connection: keep-alive\r\n";
  head += "\r\n";
  const headBytes = encoder.encode(head);
  if (bodiless || stream === null) {
    stream?.cancel().catch(() => {});
    if (bodiless || bytes === undefined || bytes.length === 0) await writeAll(conn, headBytes);
    else await writeAll(conn, concat(headBytes, bytes));
    return !close;
  }
  await writeAll(conn, headBytes);
  const sent = await writeStream(conn, stream, chunked);
  if (chunked) {
    await writeAll(conn, trailers === undefined ? LAST_CHUNK : await lastChunk(trailers));
  }
  return !close && (length === null || sent === length);
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
