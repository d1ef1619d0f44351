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
import { HeadFields, type WrittenLines } from "../head_fields.ts";
import { HeadMemo, KeptHead } from "../head_memo.ts";

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
  /**
   * Every field in order, as places in the bytes read (valid until the
   * server reads into its buffer again); strings only of what is read.
   */
  fields: HeadFields;
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
  // The same bytes as a head read before are read the same way.
  const known = memo.recall(buf, start, end);
  if (known !== undefined && known.count <= maxFields) return known.headIn(buf, start);
  const head = readRequestHead(buf, start, end, maxFields);
  if (memo.mayKeep(end - start)) {
    memo.remember(end - start, () => new RememberedRequest(buf, start, end, head));
  }
  return head;
}

/**
 * Request heads read before, by their bytes (`head_memo.ts`): a client sends
 * the same head request after request, and comparing its bytes costs about
 * a fifth of reading them. The memo is bounded whatever clients send.
 */
class RememberedRequest extends KeptHead {
  readonly #head: RequestHead;
  readonly #start: number;
  readonly #mayBeTyped: boolean;
  /** What the backend's heads got of these fields (`forwarded_fields.ts`), shared by every reading. */
  readonly #written: WrittenLines = { kept: [], bytes: new Uint8Array(0) };
  readonly count: number;

  constructor(buf: Uint8Array, start: number, end: number, head: RequestHead) {
    super(buf, start, end);
    this.#head = { ...head, fields: undefined as unknown as HeadFields };
    this.#start = start;
    this.#mayBeTyped = head.fields.mayBeTyped;
    this.count = head.fields.count;
    this.places = head.fields.places;
    this.known = head.fields.known;
  }

  readonly places: number[];
  readonly known: (string | null)[];

  /** The head as read, its fields in `buf` with these bytes from `start` on. */
  headIn(buf: Uint8Array, start: number): RequestHead {
    const shift = start - this.#start;
    const places = shift === 0 ? this.places : this.places.map((place) => place + shift);
    const fields = new HeadFields(buf, places, this.known, this.#written);
    const head = this.#head;
    fields.host = head.host;
    fields.mayBeTyped = this.#mayBeTyped;
    return { ...head, fields };
  }
}

const memo = new HeadMemo<RememberedRequest>();

function readRequestHead(
  buf: Uint8Array,
  start: number,
  end: number,
  maxFields: number,
): RequestHead {
  const lineEnd = findCrlf(buf, start, end);
  const { method, target, minor } = parseRequestLine(buf, start, lineEnd);
  const fields = new HeadFields(buf);
  const head: RequestHead = {
    method,
    target,
    minor,
    fields,
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
  while (pos < end) {
    const lineStart = pos + 2;
    if (fields.count >= maxFields) {
      throw new H1RequestError(431, `Request has more than ${maxFields} header fields`);
    }
    pos = readField(buf, lineStart, end, fields);
    // Only the fields this parser decides on become strings here.
    const name = fields.known[fields.count - 1];
    if (name === null) continue;
    switch (name) {
      case "host":
        hosts++;
        head.host = fields.host = hostValue(buf, fields);
        break;
      case "content-length":
        head.contentLength = mergeContentLength(
          head.contentLength,
          lastValue(buf, fields),
          refuseContentLength,
        );
        break;
      case "transfer-encoding": {
        const value = lastValue(buf, fields);
        transferEncoding = transferEncoding === undefined ? value : `${transferEncoding}, ${value}`;
        break;
      }
      case "connection": {
        const value = lastValue(buf, fields);
        connection = connection === null ? value : `${connection}, ${value}`;
        break;
      }
      case "expect": {
        const value = lastValue(buf, fields);
        if (value.toLowerCase() !== "100-continue") {
          throw new H1RequestError(417, `Cannot meet expectation ${JSON.stringify(value)}`);
        }
        head.expectContinue = minor === 1;
        break;
      }
      case "te":
        if (minor === 1 && namesTrailers(lastValue(buf, fields))) head.trailers = true;
    }
  }
  if (hosts > 1) throw new H1RequestError(400, "Request has more than one Host field");
  if (transferEncoding !== undefined) frameByCoding(head, transferEncoding);
  head.keepAlive = keepsAlive(minor, connection);
  return head;
}

/** The value of the field last added to `fields`. */
function lastValue(buf: Uint8Array, fields: HeadFields): string {
  const p = fields.places;
  const at = p.length - 4;
  return latin1(buf, p[at + 2], p[at + 3]);
}

/**
 * The Host value and the target last read, when these bytes spell them
 * again: a client sends the same ones request after request, and the same
 * string costs no decode and lets the memos after it (the router's hosts,
 * the URL) compare by identity.
 */
let lastHost = "";
let lastTarget = "";

function hostValue(buf: Uint8Array, fields: HeadFields): string {
  const p = fields.places;
  const at = p.length - 4;
  const from = p[at + 2];
  const to = p[at + 3];
  return spells(buf, from, to, lastHost) ? lastHost : lastHost = latin1(buf, from, to);
}

/** Whether `buf[from, to)` holds the characters of `text`. */
function spells(buf: Uint8Array, from: number, to: number, text: string): boolean {
  const n = to - from;
  if (n !== text.length) return false;
  let i = 0;
  while (i < n && buf[from + i] === text.charCodeAt(i)) i++;
  return i === n;
}

/** Methods by their bytes, so the usual ones cost no string. */
const METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"];

function methodName(buf: Uint8Array, start: number, end: number): string {
  for (let k = 0; k < METHODS.length; k++) {
    if (spells(buf, start, end, METHODS[k])) return METHODS[k];
  }
  return latin1(buf, start, end);
}

/** Method, target and version of the request line in `buf[start, lineEnd)`. */
function parseRequestLine(
  buf: Uint8Array,
  start: number,
  lineEnd: number,
): { method: string; target: string; minor: number } {
  let i = start;
  while (i < lineEnd && TOKEN_BYTE[buf[i]] === 1) i++;
  const methodEnd = i;
  let ok = methodEnd > start && buf[i] === 32;
  let targetEnd = ++i;
  while (ok && targetEnd < lineEnd && buf[targetEnd] > 32 && buf[targetEnd] < 127) targetEnd++;
  ok = ok && targetEnd > i && buf[targetEnd] === 32 && lineEnd - targetEnd === 9;
  const v = targetEnd + 1;
  // HTTP/d.d
  ok = ok && buf[v] === 72 && buf[v + 1] === 84 && buf[v + 2] === 84 && buf[v + 3] === 80 &&
    buf[v + 4] === 47 && isDigit(buf[v + 5]) && buf[v + 6] === 46 && isDigit(buf[v + 7]);
  if (!ok) {
    const line = latin1(buf, start, Math.min(lineEnd, start + 200));
    throw new H1RequestError(400, `Cannot parse request line ${JSON.stringify(line)}`);
  }
  if (buf[v + 5] !== 49 /* 1 */) {
    throw new H1RequestError(505, `Cannot serve ${latin1(buf, v, lineEnd)}: only HTTP/1.x`);
  }
  const method = methodName(buf, start, methodEnd);
  const target = spells(buf, i, targetEnd, lastTarget)
    ? lastTarget
    : lastTarget = latin1(buf, i, targetEnd);
  checkTargetForm(method, target);
  // A later HTTP/1 minor version is served as HTTP/1.1, the highest this
  // server speaks (RFC 9110 §2.5); only another major version is a 505.
  return { method, target, minor: buf[v + 7] === 48 /* 0 */ ? 0 : 1 };
}

function isDigit(b: number): boolean {
  return b >= 48 && b <= 57;
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
 * Adds the field line starting at `lineStart` to `fields` (its name's
 * known string, if any, and the places of its name and trimmed value);
 * returns where the line ends (its CRLF, or `end` on the head's last line).
 */
function readField(buf: Uint8Array, lineStart: number, end: number, fields: HeadFields): number {
  let colon = lineStart;
  while (colon < end && TOKEN_BYTE[buf[colon]] === 1) colon++;
  if (colon === lineStart || colon === end || buf[colon] !== 58 /* : */) {
    // Also a line that starts with a space or tab: obs-fold (RFC 9112 §5.2).
    const lineEnd = findCrlf(buf, lineStart, end);
    const line = latin1(buf, lineStart, Math.min(lineEnd, lineStart + 100));
    throw new H1RequestError(400, `Cannot parse header line ${JSON.stringify(line)}`);
  }
  const lineEnd = fieldValueEnd(buf, colon + 1, end);
  if (lineEnd === -1) {
    const name = latin1(buf, lineStart, colon);
    throw new H1RequestError(400, `Cannot accept header ${name}: value has control characters`);
  }
  const from = skipOws(buf, colon + 1, lineEnd);
  const to = trimOwsEnd(buf, from, lineEnd);
  fields.add(lineStart, colon, from, to, knownFieldName(buf, lineStart, colon) ?? null);
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
