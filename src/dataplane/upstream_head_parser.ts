/**
 * Parsing of an HTTP/1.x response head (status line and header fields),
 * strict enough that a malformed or ambiguous upstream answer becomes a 502
 * instead of a smuggling opportunity: no obs-fold, token header names,
 * no control characters in values, consistent Content-Length.
 * @module
 */
import { connectionListedHeaders } from "./hop_by_hop.ts";
import { UpstreamError } from "./upstream_types.ts";
import {
  fieldValueEnd,
  findCrlf,
  keepsAlive,
  mergeContentLength,
  skipOws,
  TOKEN_BYTE,
  trimOws,
  trimOwsEnd,
} from "./http1_bytes.ts";
import { recallHead, rememberHead } from "./response_head_memo.ts";
import { ParsedResponseHead, type ResponseHead } from "./parsed_response_head.ts";

export { ParsedResponseHead, type ResponseHead };

/** "HTTP/1." */
const VERSION_PREFIX = [72, 84, 84, 80, 47, 49, 46];

/**
 * Parses `head` (latin-1 text of the bytes up to, not including, the empty
 * line). Throws an `UpstreamError` of kind `protocol` on anything malformed.
 *
 * @example
 * ```ts
 * import { parseResponseHead } from "./upstream_head_parser.ts";
 * parseResponseHead("HTTP/1.1 200 OK\r\nContent-Length: 2").contentLength; // 2
 * ```
 */
export function parseResponseHead(head: string): ResponseHead {
  const bytes = new Uint8Array(head.length);
  // Latin-1 text maps one character to one byte; anything wider is not a byte.
  for (let i = 0; i < head.length; i++) {
    const c = head.charCodeAt(i);
    bytes[i] = c > 255 ? 0x7f : c;
  }
  return parseResponseHeadBytes(bytes, 0, bytes.length);
}

/**
 * Parses the response head in `buf[start, end)` (up to, not including, the
 * empty line) straight from the bytes, its field strings made before it
 * returns. Throws an `UpstreamError` of kind `protocol` on anything
 * malformed.
 *
 * @example
 * ```ts
 * import { parseResponseHeadBytes } from "./upstream_head_parser.ts";
 * const bytes = new TextEncoder().encode("HTTP/1.1 204 No Content");
 * parseResponseHeadBytes(bytes, 0, bytes.length).status; // 204
 * ```
 */
export function parseResponseHeadBytes(buf: Uint8Array, start: number, end: number): ResponseHead {
  const head = readResponseHead(buf, start, end);
  head.headers;
  return head;
}

/**
 * {@linkcode parseResponseHeadBytes} that leaves the fields where they are:
 * every check is made on the bytes, and only the values a decision needs
 * (an unusual `Connection`, `Transfer-Encoding`, a `Content-Length` that is
 * not plain digits) become strings. The kept fields are
 * `ResponseLines` places in `buf`; `headers` makes their strings
 * when first read, so it must be read (or the head not used) before the
 * buffer's bytes change.
 *
 * @example
 * ```ts
 * import { readResponseHead } from "./upstream_head_parser.ts";
 * const bytes = new TextEncoder().encode("HTTP/1.1 200 OK\r\nX-A: 1");
 * const head = readResponseHead(bytes, 0, bytes.length);
 * head.places; // [17, 20, 22, 23]
 * head.headers; // [["x-a", "1"]]
 * ```
 */
export function readResponseHead(buf: Uint8Array, start: number, end: number): ParsedResponseHead {
  // The same bytes as a head read before are read the same way.
  const known = recallHead(buf, start, end);
  if (known !== undefined) return new ParsedResponseHead(buf, start, end, known);
  const head = new ParsedResponseHead(buf, start, end);
  let lineEnd = findCrlf(buf, start, end);
  head.status = parseStatusLine(buf, start, lineEnd, head);
  const minor = head.minor = buf[start + 7] - 48;
  let transferEncoding: string | undefined;
  let connection: string | null = null;
  const places = head.places;
  while (lineEnd < end) {
    const lineStart = lineEnd + 2;
    const colon = headerNameEnd(buf, lineStart, end, head);
    lineEnd = fieldValueEnd(buf, colon + 1, end);
    if (lineEnd === -1) {
      throw protocolError(
        `Cannot accept upstream header ${head.cut(lineStart, colon)}: value has control characters`,
      );
    }
    const from = skipOws(buf, colon + 1, lineEnd);
    const to = trimOwsEnd(buf, from, lineEnd);
    switch (fieldRole(buf, lineStart, colon)) {
      case CONTENT_LENGTH:
        head.contentLength = plainLength(buf, from, to, head.contentLength) ??
          mergeContentLength(head.contentLength, head.cut(from, to), refuseContentLength);
        continue;
      case TRANSFER_ENCODING: {
        const value = head.cut(from, to);
        transferEncoding = transferEncoding === undefined ? value : `${transferEncoding}, ${value}`;
        continue;
      }
      case CONNECTION: {
        const value = connectionWord(buf, from, to) ?? head.cut(from, to);
        connection = connection === null ? value : `${connection}, ${value}`;
        continue;
      }
      case TRAILER:
        head.trailer = true;
        continue;
      case DROPPED:
        continue;
      case DATE:
        head.date = true;
    }
    places.push(lineStart, colon, from, to);
  }
  const framedTwice = transferEncoding !== undefined && head.contentLength >= 0;
  let untilClose = false;
  if (transferEncoding !== undefined) {
    const codings = transferEncoding.toLowerCase().split(",").map(trimOws);
    head.chunked = codings[codings.length - 1] === "chunked";
    untilClose = head.untilClose = !head.chunked;
    // With Transfer-Encoding, Content-Length is ignored (RFC 9112 §6.3).
    head.contentLength = -1;
  }
  // A body that ends when the connection closes, or a message framed by both
  // Transfer-Encoding and Content-Length, leaves the connection unusable.
  head.keepAlive = !(untilClose || framedTwice) && keepsAlive(minor, connection);
  const listed = connectionListedHeaders(connection);
  // Fields the backend's `Connection` lists are its own: a rare head, filtered as strings.
  if (listed !== undefined) head.dropListed(listed);
  else head.remembered(rememberHead(buf, start, end, head));
  return head;
}

/**
 * The length in `buf[from, to)` when it is 1 to 15 plain digits agreeing
 * with `previous` (`-1`: none), the common field; else `undefined` (the
 * string rules then decide, and refuse).
 */
function plainLength(
  buf: Uint8Array,
  from: number,
  to: number,
  previous: number,
): number | undefined {
  if (to === from || to - from > 15) return undefined;
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = buf[i] - 48;
    if (d < 0 || d > 9) return undefined;
    n = n * 10 + d;
  }
  return previous === -1 || previous === n ? n : undefined;
}

const KEEP_ALIVE = bytesOf("keep-alive");
const CLOSE = bytesOf("close");

/** What a response field's name makes of it: passed on (`KEPT`), read, or dropped. */
const KEPT = 0;
const CONTENT_LENGTH = 1;
const TRANSFER_ENCODING = 2;
const CONNECTION = 3;
const TRAILER = 4;
/** `Date`: passed on, and the gateway adds none. */
const DATE = 5;
/** Hop-by-hop fields the parser drops without reading (`Keep-Alive`, `TE`, `Upgrade`, `Proxy-Connection`). */
const DROPPED = 6;

/** The names the response parser acts on, by their length: each with its role. */
const ROLES: [number[], number][][] = [];
for (
  const [name, role] of [
    ["content-length", CONTENT_LENGTH],
    ["transfer-encoding", TRANSFER_ENCODING],
    ["connection", CONNECTION],
    ["trailer", TRAILER],
    ["date", DATE],
    ["keep-alive", DROPPED],
    ["te", DROPPED],
    ["upgrade", DROPPED],
    ["proxy-connection", DROPPED],
  ] as const
) (ROLES[name.length] ??= []).push([bytesOf(name), role]);

/**
 * The role of the field named `buf[from, to)`. Looked up by the name's
 * length first: most fields a backend sends (`Server`, `Content-Type`,
 * `Cache-Control`) have a length none of these names has, and are known
 * as kept without a comparison of their bytes.
 */
function fieldRole(buf: Uint8Array, from: number, to: number): number {
  const candidates = ROLES[to - from];
  if (candidates === undefined) return KEPT;
  for (let k = 0; k < candidates.length; k++) {
    if (isWord(buf, from, to, candidates[k][0])) return candidates[k][1];
  }
  return KEPT;
}

function bytesOf(word: string): number[] {
  return Array.from(word, (c) => c.charCodeAt(0));
}

/** Whether `buf[from, to)` is the lower-case `word` in any case. */
function isWord(buf: Uint8Array, from: number, to: number, word: number[]): boolean {
  if (to - from !== word.length) return false;
  for (let i = 0; i < word.length; i++) {
    const b = buf[from + i];
    if ((b >= 65 && b <= 90 ? b + 32 : b) !== word[i]) return false;
  }
  return true;
}

/** `"keep-alive"` or `"close"` when `buf[from, to)` is that word in any case, else `undefined`. */
function connectionWord(buf: Uint8Array, from: number, to: number): string | undefined {
  if (isWord(buf, from, to, KEEP_ALIVE)) return "keep-alive";
  return isWord(buf, from, to, CLOSE) ? "close" : undefined;
}

/** The status code of the status line in `buf[start, lineEnd)`; throws when it is malformed. */
function parseStatusLine(
  buf: Uint8Array,
  start: number,
  lineEnd: number,
  head: ParsedResponseHead,
): number {
  const lineLength = lineEnd - start;
  let ok = lineLength >= 12 && buf[start + 8] === 32 &&
    (lineLength === 12 || buf[start + 12] === 32);
  for (let i = 0; ok && i < 7; i++) ok = buf[start + i] === VERSION_PREFIX[i];
  const minor = buf[start + 7] - 48;
  const d0 = buf[start + 9] - 48, d1 = buf[start + 10] - 48, d2 = buf[start + 11] - 48;
  if (
    !ok || (minor !== 0 && minor !== 1) || d0 < 1 || d0 > 9 || d1 < 0 || d1 > 9 || d2 < 0 ||
    d2 > 9
  ) {
    const statusLine = head.cut(start, lineEnd);
    throw protocolError(`Cannot parse upstream status line: current value is ${quote(statusLine)}`);
  }
  return d0 * 100 + d1 * 10 + d2;
}

/**
 * Where the name of the header line starting at `lineStart` ends (its
 * colon); throws when it is not a token followed by a colon. `end`: the
 * head's end (the line's own is found after the name).
 */
function headerNameEnd(
  buf: Uint8Array,
  lineStart: number,
  end: number,
  head: ParsedResponseHead,
): number {
  let colon = lineStart;
  while (colon < end && TOKEN_BYTE[buf[colon]] === 1) colon++;
  if (colon === end || buf[colon] !== 58 /* : */ || colon === lineStart) {
    const line = head.cut(lineStart, findCrlf(buf, lineStart, end));
    const at = line.indexOf(":");
    if (at <= 0) throw protocolError(`Cannot parse upstream header line: ${quote(line)}`);
    // Also rejects obs-fold continuation lines, which start with a space.
    throw protocolError(
      `Cannot parse upstream header name: current value is ${quote(line.slice(0, at))}`,
    );
  }
  return colon;
}

function refuseContentLength(value: string, conflicting: boolean): never {
  throw protocolError(
    conflicting
      ? `Cannot accept conflicting upstream Content-Length values: ${quote(value)}`
      : `Cannot parse upstream Content-Length: current value is ${quote(value)}`,
  );
}

function protocolError(message: string): UpstreamError {
  return new UpstreamError("protocol", message);
}

function quote(text: string): string {
  return JSON.stringify(text.length > 200 ? text.slice(0, 200) + "…" : text);
}
