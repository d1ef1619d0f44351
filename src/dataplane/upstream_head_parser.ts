/**
 * Parsing of an HTTP/1.x response head (status line and header fields),
 * strict enough that a malformed or ambiguous upstream answer becomes a 502
 * instead of a smuggling opportunity: no obs-fold, token header names,
 * no control characters in values, consistent Content-Length.
 * @module
 */
import { connectionListedHeaders, isHopByHop } from "./hop_by_hop.ts";
import { UpstreamError } from "./upstream_types.ts";

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
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// deno-lint-ignore no-control-regex
const BAD_VALUE = /[\x00-\x08\x0a-\x1f\x7f]/;
const DIGITS = /^[0-9]+$/;

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
  const lines = head.split("\r\n");
  const statusLine = lines[0];
  if (
    statusLine.length < 12 || !statusLine.startsWith("HTTP/1.") ||
    statusLine.charCodeAt(8) !== 32 || (statusLine.length > 12 && statusLine.charCodeAt(12) !== 32)
  ) {
    throw protocolError(`Cannot parse upstream status line: current value is ${quote(statusLine)}`);
  }
  const minor = statusLine.charCodeAt(7) - 48;
  const status = Number(statusLine.slice(9, 12));
  if ((minor !== 0 && minor !== 1) || !DIGITS.test(statusLine.slice(9, 12)) || status < 100) {
    throw protocolError(`Cannot parse upstream status line: current value is ${quote(statusLine)}`);
  }

  const names: string[] = [];
  const values: string[] = [];
  let contentLength = -1;
  let transferEncoding: string | undefined;
  let connection: string | null = null;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    const colon = line.indexOf(":");
    if (colon <= 0) throw protocolError(`Cannot parse upstream header line: ${quote(line)}`);
    const name = line.slice(0, colon);
    if (!TOKEN.test(name)) {
      // Also rejects obs-fold continuation lines, which start with a space.
      throw protocolError(`Cannot parse upstream header name: current value is ${quote(name)}`);
    }
    const value = line.slice(colon + 1).trim();
    if (BAD_VALUE.test(value)) {
      throw protocolError(`Cannot accept upstream header ${name}: value has control characters`);
    }
    const lower = name.toLowerCase();
    if (lower === "content-length") {
      contentLength = mergeContentLength(contentLength, value);
      continue;
    }
    if (lower === "transfer-encoding") {
      transferEncoding = transferEncoding === undefined ? value : `${transferEncoding}, ${value}`;
      continue;
    }
    if (lower === "connection") {
      connection = connection === null ? value : `${connection}, ${value}`;
    }
    names.push(lower);
    values.push(value);
  }

  let chunked = false;
  let untilClose = false;
  const framedTwice = transferEncoding !== undefined && contentLength >= 0;
  if (transferEncoding !== undefined) {
    const codings = transferEncoding.toLowerCase().split(",").map((c) => c.trim());
    chunked = codings[codings.length - 1] === "chunked";
    untilClose = !chunked;
    // With Transfer-Encoding, Content-Length is ignored (RFC 9112 §6.3).
    contentLength = -1;
  }

  const listed = connectionListedHeaders(connection);
  const tokens = connection === null ? "" : connection.toLowerCase();
  let keepAlive = minor === 1
    ? !/(^|[\s,])close($|[\s,])/.test(tokens)
    : /(^|[\s,])keep-alive($|[\s,])/.test(tokens);
  // A body that ends when the connection closes, or a message framed by both
  // Transfer-Encoding and Content-Length, leaves the connection unusable.
  if (untilClose || framedTwice) keepAlive = false;

  const headers: [string, string][] = [];
  for (let i = 0; i < names.length; i++) {
    if (!isHopByHop(names[i], listed)) headers.push([names[i], values[i]]);
  }
  return { status, minor, headers, contentLength, chunked, untilClose, keepAlive };
}

function mergeContentLength(previous: number, value: string): number {
  // "5, 5" is allowed when every member is the same (RFC 9110 §8.6).
  let result = previous;
  for (const part of value.split(",")) {
    const trimmed = part.trim();
    if (!DIGITS.test(trimmed) || trimmed.length > 15) {
      throw protocolError(`Cannot parse upstream Content-Length: current value is ${quote(value)}`);
    }
    const n = Number(trimmed);
    if (result !== -1 && result !== n) {
      throw protocolError(
        `Cannot accept conflicting upstream Content-Length values: ${quote(value)}`,
      );
    }
    result = n;
  }
  return result;
}

function protocolError(message: string): UpstreamError {
  return new UpstreamError("protocol", message);
}

function quote(text: string): string {
  return JSON.stringify(text.length > 200 ? text.slice(0, 200) + "…" : text);
}
