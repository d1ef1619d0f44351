/**
 * Writes a `Response` to an HTTP/1.1 client: status line, the Response's
 * headers (minus the ones framing and the connection own), `Date`, then the
 * body framed by Content-Length, chunked, or (HTTP/1.0 with a body of
 * unknown length) the connection's end. A body the gateway made from bytes
 * goes out with the head in one write (`known_body.ts`); a streamed one is
 * written chunk by chunk, each write awaited, so a client that reads slowly
 * slows the upstream read instead of filling our memory.
 * @module
 */
import { STATUS_TEXT } from "@std/http";
import { knownBody } from "./known_body.ts";

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
}

/**
 * Writes `res`; resolves whether the connection may carry another request
 * (false when the answer asked to close, or its body could not be framed
 * or ended early).
 */
export async function writeResponse(
  conn: Deno.Conn,
  res: Response,
  ctx: AnswerContext,
): Promise<boolean> {
  const status = res.status;
  let head = `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? ""}\r\n`;
  const seen = { declared: null as string | null, close: ctx.close, date: false };
  res.headers.forEach((value, name) => {
    switch (name) {
      case "content-length":
        seen.declared = value;
        return;
      case "connection":
        if (/(^|[\s,])close($|[\s,])/i.test(value)) seen.close = true;
        return;
      case "transfer-encoding":
      case "keep-alive":
        return;
      case "date":
        seen.date = true;
    }
    head += `${name}: ${value}\r\n`;
  });
  if (!seen.date) head += `date: ${httpDate()}\r\n`;
  const declared = seen.declared;
  let close = seen.close;
  const bodiless = ctx.method === "HEAD" || status === 204 || status === 304 || status < 200;
  const bytes = knownBody(res);
  const stream = bytes === undefined ? res.body : null;
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
  else length = declared === null ? null : Number(declared);
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
  return !close && (length === null || sent === length);
}

/** Copies `stream` to `conn` (chunk-framed when `chunked`); the byte count sent. */
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
    if (chunked) await writeAll(conn, LAST_CHUNK);
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
