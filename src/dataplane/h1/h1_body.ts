/**
 * A request body as a stream pulled from the connection: Content-Length
 * bytes, or chunked framing decoded (RFC 9112 §7.1) with every size line
 * checked (hex digits only, at most 15, extensions bounded) and trailer
 * fields read and dropped. Nothing is read before the handler asks (and
 * `100 Continue` goes out at that first ask), so an unread body stays in the
 * client's window. A framing error errors the stream with a 400 that the
 * server answers, closing the connection.
 * @module
 */
import { findCrlf, isToken } from "../http1_bytes.ts";
import { H1RequestError } from "./h1_request_head.ts";
import type { H1Reader } from "./h1_reader.ts";

/** Longest chunk-size line (with extensions) accepted. */
const MAX_CHUNK_LINE = 4096;

/** What the server learns from a body while the handler reads it. */
export interface BodyProgress {
  /** The whole body was read: the next request starts at the reader's position. */
  done: boolean;
  /** The framing was broken (the answer is this error's, and the connection closes). */
  error: H1RequestError | undefined;
  /** Some of the body was asked for (and `100 Continue` sent when expected). */
  started: boolean;
  /** Called once the whole body was read (the socket is then free to read ahead). */
  onDone?: () => void;
}

/** The whole body was read. */
function bodyRead(progress: BodyProgress): void {
  progress.done = true;
  progress.onDone?.();
}

/**
 * The request body of a head framed by `contentLength` (≥ 0) or `chunked`.
 * `beforeFirstRead` runs once before the first byte is read (`100 Continue`).
 */
export function bodyStream(
  reader: H1Reader,
  framing: { contentLength: number; chunked: boolean },
  progress: BodyProgress,
  beforeFirstRead: () => Promise<void>,
  maxTrailerBytes: number,
): ReadableStream<Uint8Array> {
  const next = framing.chunked
    ? chunkedReader(reader, progress, maxTrailerBytes)
    : lengthReader(reader, framing.contentLength, progress);
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        if (!progress.started) {
          progress.started = true;
          await beforeFirstRead();
        }
        const bytes = await next();
        if (bytes === null) controller.close();
        else controller.enqueue(bytes);
      } catch (error) {
        if (error instanceof H1RequestError) progress.error = error;
        controller.error(error);
      }
    },
  }, { highWaterMark: 0 });
}

/**
 * Reads and drops what is left of a body the handler did not read, up to
 * `maxBytes`, so the connection can carry the next request (as nginx
 * discards an unread body). False when the connection cannot: the body is
 * larger, locked, broken, or its client waits for a `100 Continue` never sent.
 */
export async function discardBody(
  body: ReadableStream<Uint8Array>,
  progress: BodyProgress,
  expectContinue: boolean,
  maxBytes: number,
): Promise<boolean> {
  if (progress.done) return true;
  if (body.locked || (expectContinue && !progress.started)) return false;
  const reader = body.getReader();
  let total = 0;
  try {
    while (!progress.done) {
      const { value, done } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > maxBytes) return false;
    }
  } catch {
    return false;
  } finally {
    reader.releaseLock();
  }
  return progress.done;
}

function ended(): H1RequestError {
  return new H1RequestError(400, "Connection ended inside a request body");
}

function lengthReader(
  reader: H1Reader,
  length: number,
  progress: BodyProgress,
): () => Promise<Uint8Array | null> {
  let remaining = length;
  return async () => {
    if (remaining === 0) {
      if (!progress.done) bodyRead(progress);
      return null;
    }
    const bytes = await reader.readSome(remaining);
    if (bytes === null) throw ended();
    remaining -= bytes.length;
    if (remaining === 0) bodyRead(progress);
    return bytes;
  };
}

function chunkedReader(
  reader: H1Reader,
  progress: BodyProgress,
  maxTrailerBytes: number,
): () => Promise<Uint8Array | null> {
  let inChunk = 0;
  let finished = false;
  const readChunk = async (): Promise<Uint8Array | null> => {
    for (;;) {
      if (finished) return null;
      if (inChunk > 0) {
        const bytes = await reader.readSome(inChunk);
        if (bytes === null) throw ended();
        inChunk -= bytes.length;
        if (inChunk === 0) await expectCrlf(reader);
        return bytes;
      }
      const line = await readLine(reader, MAX_CHUNK_LINE);
      const size = parseChunkSize(line);
      if (size === 0) {
        await skipTrailers(reader, maxTrailerBytes);
        finished = true;
        bodyRead(progress);
        return null;
      }
      inChunk = size;
    }
  };
  return readChunk;
}

async function expectCrlf(reader: H1Reader): Promise<void> {
  if (!await reader.want(2)) throw ended();
  if (reader.buf[reader.start] !== 13 || reader.buf[reader.start + 1] !== 10) {
    throw new H1RequestError(400, "Chunk data is not followed by CRLF");
  }
  reader.start += 2;
}

/** The next line (without CRLF) as latin-1 text, at most `max` bytes. */
async function readLine(reader: H1Reader, max: number): Promise<string> {
  let searched = 0;
  for (;;) {
    const end = findCrlf(reader.buf, reader.start + Math.max(0, searched - 1), reader.end);
    if (end < reader.end) {
      const line = String.fromCharCode(...reader.buf.subarray(reader.start, end));
      reader.start = end + 2;
      return line;
    }
    searched = reader.end - reader.start;
    if (searched > max) throw new H1RequestError(400, "Chunk size line is too long");
    if (!await reader.want(searched + 1)) throw ended();
  }
}

/** The size of a chunk-size line: 1 to 15 hex digits, then nothing or `;` extensions. */
function parseChunkSize(line: string): number {
  let i = 0;
  while (i < line.length && isHex(line.charCodeAt(i))) i++;
  let ok = i > 0 && i <= 15;
  if (ok && i < line.length) {
    let j = i;
    while (j < line.length && (line.charCodeAt(j) === 32 || line.charCodeAt(j) === 9)) j++;
    ok = line.charCodeAt(j) === 59 /* ; */ && !hasControl(line);
  }
  if (!ok) {
    throw new H1RequestError(400, `Cannot parse chunk size ${JSON.stringify(line.slice(0, 40))}`);
  }
  return parseInt(line.slice(0, i), 16);
}

/** Whether `text` holds a control character other than tab. */
function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 32 && c !== 9) || c === 127) return true;
  }
  return false;
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

/** Reads trailer field lines up to the empty line, dropping them (bounded like a head). */
async function skipTrailers(reader: H1Reader, maxBytes: number): Promise<void> {
  let total = 0;
  for (;;) {
    const line = await readLine(reader, maxBytes - total);
    if (line === "") return;
    total += line.length + 2;
    if (total > maxBytes) throw new H1RequestError(431, "Request trailers are too long");
    const colon = line.indexOf(":");
    if (colon === -1 || !isToken(line.slice(0, colon))) {
      throw new H1RequestError(400, "Cannot parse a trailer field line");
    }
  }
}
