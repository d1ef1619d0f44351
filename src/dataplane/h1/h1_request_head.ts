/**
 * Parsing of an HTTP/1.x request head (request line and header fields) for
 * the gateway's own HTTP/1.1 server, strict where RFC 9112 says a server
 * must refuse, so a message another hop could read differently is never
 * forwarded: whitespace before a colon, obs-fold, control characters,
 * Content-Length with Transfer-Encoding, conflicting lengths, a final
 * coding other than `chunked`, a repeated `Host` all end in a 4xx and a
 * closed connection.
 * @module
 */
import {
  fieldValueEnd,
  findCrlf,
  keepsAlive,
  latin1,
  mergeContentLength,
  skipOws,
  TOKEN_BYTE,
  trimOws,
  trimOwsEnd,
} from "../http1_bytes.ts";
import { knownFieldName } from "./known_field_names.ts";
import { namesTrailers } from "./h1_trailers.ts";

/** A request the server refuses: the status to answer and why. The connection closes after it. */
export class H1RequestError extends Error {
  constructor(readonly status: 400 | 417 | 431 | 501 | 505, message: string) {
    super(message);
    this.name = "H1RequestError";
  }
}

/** A parsed request head. */
export interface RequestHead {
  method: string;
  /** The request-target as sent (origin-form, absolute-form or `*`). */
  target: string;
  /** HTTP/1.`minor`. */
  minor: number;
  /** Every field in order, names lower-cased. */
  headers: [string, string][];
  /**
   * The `Host` field; `null` when absent (the handler answers that 400 in
   * HTTP/1.1, as with Deno's engine, so the policy counts it).
   */
  host: string | null;
  /** `-1` when the body is not framed by Content-Length. */
  contentLength: number;
  /** The body is chunked. */
  chunked: boolean;
  /** The connection may carry another request after this one's answer. */
  keepAlive: boolean;
  /** The client waits for `100 Continue` before its body. */
  expectContinue: boolean;
  /**
   * An HTTP/1.1 request whose `TE` names `trailers`: the client takes a
   * trailer section after a chunked answer (RFC 9110 §10.1.4).
   */
  trailers: boolean;
}

/** Most header fields a request head may have before 431. */
export const MAX_HEADER_FIELDS = 100;

/**
 * Parses the head in `buf[start, end)` (up to, not including, the empty
 * line). Throws {@linkcode H1RequestError} on anything malformed.
 *
 * @example
 * ```ts
 * import { parseRequestHead } from "./h1_request_head.ts";
 * const bytes = new TextEncoder().encode("GET / HTTP/1.1\r\nHost: a");
 * parseRequestHead(bytes, 0, bytes.length).host; // "a"
 * ```
 */
export function parseRequestHead(
  buf: Uint8Array,
  start: number,
  end: number,
  maxFields = MAX_HEADER_FIELDS,
): RequestHead {
  const text = latin1(buf, start, end);
  const lineEnd = findCrlf(buf, start, end);
  const { method, target, minor } = parseRequestLine(buf, start, lineEnd, text);
  const head: RequestHead = {
    method,
    target,
    minor,
    headers: [],
    host: null,
    contentLength: -1,
    chunked: false,
    keepAlive: false,
    expectContinue: false,
    trailers: false,
  };
  let hosts = 0;
  let transferEncoding: string | undefined;
  let connection: string | null = null;
  let pos = lineEnd;
  const fields = head.headers;
  while (pos < end) {
    const lineStart = pos + 2;
    if (fields.length >= maxFields) {
      throw new H1RequestError(431, `Request has more than ${maxFields} header fields`);
    }
    pos = readField(buf, start, lineStart, end, text, fields);
    const [name, value] = fields[fields.length - 1];
    switch (name) {
      case "host":
        hosts++;
        head.host = value;
        break;
      case "content-length":
        head.contentLength = mergeContentLength(head.contentLength, value, refuseContentLength);
        break;
      case "transfer-encoding":
        transferEncoding = transferEncoding === undefined ? value : `${transferEncoding}, ${value}`;
        break;
      case "connection":
        connection = connection === null ? value : `${connection}, ${value}`;
        break;
      case "expect":
        if (value.toLowerCase() !== "100-continue") {
          throw new H1RequestError(417, `Cannot meet expectation ${JSON.stringify(value)}`);
        }
        head.expectContinue = minor === 1;
        break;
      case "te":
        if (minor === 1 && namesTrailers(value)) head.trailers = true;
    }
  }
  if (hosts > 1) throw new H1RequestError(400, "Request has more than one Host field");
  if (transferEncoding !== undefined) frameByCoding(head, transferEncoding);
  head.keepAlive = keepsAlive(minor, connection);
  return head;
}

/** Method, target and version of the request line in `buf[start, lineEnd)`. */
function parseRequestLine(
  buf: Uint8Array,
  start: number,
  lineEnd: number,
  text: string,
): { method: string; target: string; minor: number } {
  let i = start;
  while (i < lineEnd && TOKEN_BYTE[buf[i]] === 1) i++;
  const methodEnd = i;
  let ok = methodEnd > start && buf[i] === 32;
  let targetEnd = ++i;
  while (ok && targetEnd < lineEnd && buf[targetEnd] > 32 && buf[targetEnd] < 127) targetEnd++;
  ok = ok && targetEnd > i && buf[targetEnd] === 32 && lineEnd - targetEnd === 9;
  const v = targetEnd + 1;
  const version = ok ? text.slice(v - start, lineEnd - start) : "";
  if (!ok || !/^HTTP\/[0-9]\.[0-9]$/.test(version)) {
    const line = text.slice(0, Math.min(lineEnd - start, 200));
    throw new H1RequestError(400, `Cannot parse request line ${JSON.stringify(line)}`);
  }
  if (buf[v + 5] !== 49 /* 1 */) {
    throw new H1RequestError(505, `Cannot serve ${version}: only HTTP/1.x`);
  }
  const method = text.slice(0, methodEnd - start);
  const target = text.slice(i - start, targetEnd - start);
  checkTargetForm(method, target);
  // A later HTTP/1 minor version is served as HTTP/1.1, the highest this
  // server speaks (RFC 9110 §2.5); only another major version is a 505.
  return { method, target, minor: buf[v + 7] === 48 /* 0 */ ? 0 : 1 };
}

/** Origin-form, absolute-form (http or https), or `*` for OPTIONS (RFC 9112 §3.2). */
function checkTargetForm(method: string, target: string): void {
  if (target.charCodeAt(0) === 47 /* / */) return;
  if (target === "*" && method === "OPTIONS") return;
  const lower = target.slice(0, 8).toLowerCase();
  if (lower.startsWith("http://") || lower.startsWith("https://")) return;
  throw new H1RequestError(400, `Cannot serve request target ${JSON.stringify(target)}`);
}

/**
 * Reads the field line starting at `lineStart` into `fields` (the name
 * lower-cased, the value trimmed); returns where the line ends (its CRLF,
 * or `end` on the head's last line).
 */
function readField(
  buf: Uint8Array,
  start: number,
  lineStart: number,
  end: number,
  text: string,
  fields: [string, string][],
): number {
  let colon = lineStart;
  while (colon < end && TOKEN_BYTE[buf[colon]] === 1) colon++;
  if (colon === lineStart || colon === end || buf[colon] !== 58 /* : */) {
    // Also a line that starts with a space or tab: obs-fold (RFC 9112 §5.2).
    const lineEnd = findCrlf(buf, lineStart, end);
    const line = text.slice(lineStart - start, Math.min(lineEnd, lineStart + 100) - start);
    throw new H1RequestError(400, `Cannot parse header line ${JSON.stringify(line)}`);
  }
  const lineEnd = fieldValueEnd(buf, colon + 1, end);
  if (lineEnd === -1) {
    const name = text.slice(lineStart - start, colon - start);
    throw new H1RequestError(400, `Cannot accept header ${name}: value has control characters`);
  }
  const from = skipOws(buf, colon + 1, lineEnd);
  const to = trimOwsEnd(buf, from, lineEnd);
  fields.push([
    knownFieldName(buf, lineStart, colon) ??
      text.slice(lineStart - start, colon - start).toLowerCase(),
    text.slice(from - start, to - start),
  ]);
  return lineEnd;
}

/** Refuses a Content-Length that is not digits or disagrees with another (RFC 9112 §6.3). */
function refuseContentLength(value: string): never {
  throw new H1RequestError(400, `Cannot accept Content-Length ${JSON.stringify(value)}`);
}

/** Transfer-Encoding framing: only a lone `chunked` is served (RFC 9112 §6.1, §6.3). */
function frameByCoding(head: RequestHead, transferEncoding: string): void {
  if (head.contentLength !== -1) {
    throw new H1RequestError(400, "Request has both Content-Length and Transfer-Encoding");
  }
  if (head.minor === 0) throw new H1RequestError(400, "HTTP/1.0 request has Transfer-Encoding");
  const codings = transferEncoding.toLowerCase().split(",").map(trimOws);
  if (codings[codings.length - 1] !== "chunked") {
    throw new H1RequestError(400, "Request body's final transfer coding is not chunked");
  }
  // `chunked` twice is forbidden (RFC 9112 §6.1); other codings before it are
  // refused alike rather than 501, so every ambiguous framing reads as a client error.
  if (codings.length > 1) {
    throw new H1RequestError(400, `Cannot decode transfer codings ${transferEncoding}`);
  }
  head.chunked = true;
}
