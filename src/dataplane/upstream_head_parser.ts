/**
 * Parsing of an HTTP/1.x response head (status line and header fields),
 * strict enough that a malformed or ambiguous upstream answer becomes a 502
 * instead of a smuggling opportunity: no obs-fold, token header names,
 * no control characters in values, consistent Content-Length.
 * @module
 */
import { connectionListedHeaders, isHopByHop } from "./hop_by_hop.ts";
import { UpstreamError } from "./upstream_types.ts";
import {
  findCrlf,
  hasControlByte,
  keepsAlive,
  latin1,
  mergeContentLength,
  skipOws,
  TOKEN_BYTE,
  trimOws,
  trimOwsEnd,
} from "./http1_bytes.ts";
import { knownFieldName } from "./h1/known_field_names.ts";

/** A parsed response head. */
export interface ResponseHead {
  status: number;
  /** HTTP/1.x minor version. */
  minor: number;
  /** Lower-case names; hop-by-hop and framing headers removed. */
  headers: [string, string][];
  /** `-1` when absent. */
  contentLength: number;
  /** Final transfer coding is `chunked`. */
  chunked: boolean;
  /** A transfer coding other than a final `chunked`: the body runs to connection close. */
  untilClose: boolean;
  /** The connection may carry another request after this response. */
  keepAlive: boolean;
  /** A `Trailer` field announced trailer fields (RFC 9110 §6.6.2); the field itself is dropped. */
  trailer: boolean;
}

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
 * empty line) straight from the bytes: the text is decoded once and cut by
 * positions found in the bytes, with no regular expression or line split on
 * the common path. Throws an `UpstreamError` of kind `protocol` on anything
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
  const text = latin1(buf, start, end);
  const lineEnd = findCrlf(buf, start, end);
  const status = parseStatusLine(buf, start, lineEnd, text);
  const minor = buf[start + 7] - 48;
  const fields = readHeaderFields(buf, start, lineEnd, end, text);
  const { headers, transferEncoding, connection } = fields;
  let contentLength = fields.contentLength;
  let chunked = false;
  let untilClose = false;
  const framedTwice = transferEncoding !== undefined && contentLength >= 0;
  if (transferEncoding !== undefined) {
    const codings = transferEncoding.toLowerCase().split(",").map(trimOws);
    chunked = codings[codings.length - 1] === "chunked";
    untilClose = !chunked;
    // With Transfer-Encoding, Content-Length is ignored (RFC 9112 §6.3).
    contentLength = -1;
  }
  // A body that ends when the connection closes, or a message framed by both
  // Transfer-Encoding and Content-Length, leaves the connection unusable.
  const keepAlive = !(untilClose || framedTwice) && keepsAlive(minor, connection);
  const listed = connection !== null ? connectionListedHeaders(connection) : undefined;
  const trailer = fields.trailer;
  const head = { status, minor, headers, contentLength, chunked, untilClose, keepAlive, trailer };
  if (listed === undefined) return head;
  return { ...head, headers: headers.filter(([name]) => !isHopByHop(name, listed)) };
}

/** The status code of the status line in `buf[start, lineEnd)`; throws when it is malformed. */
function parseStatusLine(buf: Uint8Array, start: number, lineEnd: number, text: string): number {
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
    const statusLine = text.slice(0, lineLength);
    throw protocolError(`Cannot parse upstream status line: current value is ${quote(statusLine)}`);
  }
  return d0 * 100 + d1 * 10 + d2;
}

/** The header fields of a head, with the framing and connection ones set apart. */
interface HeadFields {
  /** Every other field, in order. */
  headers: [string, string][];
  contentLength: number;
  transferEncoding: string | undefined;
  connection: string | null;
  trailer: boolean;
}

/** Reads the header lines after the status line (which ends at `lineEnd`), up to `end`. */
function readHeaderFields(
  buf: Uint8Array,
  start: number,
  lineEnd: number,
  end: number,
  text: string,
): HeadFields {
  const fields: HeadFields = {
    headers: [],
    contentLength: -1,
    transferEncoding: undefined,
    connection: null,
    trailer: false,
  };
  while (lineEnd < end) {
    const lineStart = lineEnd + 2;
    lineEnd = findCrlf(buf, lineStart, end);
    const colon = headerNameEnd(buf, start, lineStart, lineEnd, text);
    const from = skipOws(buf, colon + 1, lineEnd);
    const to = trimOwsEnd(buf, from, lineEnd);
    if (hasControlByte(buf, from, to)) {
      throw protocolError(
        `Cannot accept upstream header ${
          text.slice(lineStart - start, colon - start)
        }: value has control characters`,
      );
    }
    // A common name is a shared string: no slice and lower-cased copy per response.
    const name = knownFieldName(buf, lineStart, colon) ??
      text.slice(lineStart - start, colon - start).toLowerCase();
    addField(fields, name, text.slice(from - start, to - start));
  }
  return fields;
}

/** Where the name of the header line `buf[lineStart, lineEnd)` ends (its colon); throws when it is not a token. */
function headerNameEnd(
  buf: Uint8Array,
  start: number,
  lineStart: number,
  lineEnd: number,
  text: string,
): number {
  let colon = lineStart;
  while (colon < lineEnd && TOKEN_BYTE[buf[colon]] === 1) colon++;
  if (colon === lineEnd || buf[colon] !== 58 /* : */ || colon === lineStart) {
    const line = text.slice(lineStart - start, lineEnd - start);
    const at = line.indexOf(":");
    if (at <= 0) throw protocolError(`Cannot parse upstream header line: ${quote(line)}`);
    // Also rejects obs-fold continuation lines, which start with a space.
    throw protocolError(
      `Cannot parse upstream header name: current value is ${quote(line.slice(0, at))}`,
    );
  }
  return colon;
}

/** Files one field: framing and connection fields apart, hop-by-hop ones dropped. */
function addField(fields: HeadFields, name: string, value: string): void {
  switch (name) {
    case "content-length":
      fields.contentLength = mergeContentLength(fields.contentLength, value, refuseContentLength);
      return;
    case "transfer-encoding":
      fields.transferEncoding = fields.transferEncoding === undefined
        ? value
        : `${fields.transferEncoding}, ${value}`;
      return;
    case "connection":
      fields.connection = fields.connection === null ? value : `${fields.connection}, ${value}`;
      return;
    case "trailer":
      fields.trailer = true;
      return;
    case "keep-alive":
    case "proxy-connection":
    case "te":
    case "upgrade":
      return;
  }
  fields.headers.push([name, value]);
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
