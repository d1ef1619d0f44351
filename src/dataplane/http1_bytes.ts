/**
 * The byte-level rules of HTTP/1.1 heads (RFC 9112) that the upstream
 * response parser and the gateway's own request parser share: header name
 * bytes, optional whitespace, where a field value ends (and its control
 * characters), merging Content-Length, `Connection` and line ends. Each
 * parser words its own errors (a 502 upstream, a 4xx to a client).
 * @module
 */
import { runtimeCore } from "./runtime_core.ts";

/** `TOKEN_BYTE[b]` is 1 when byte `b` may appear in a header name (RFC 9110 tchar). */
export const TOKEN_BYTE = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") {
  TOKEN_BYTE[c.charCodeAt(0)] = 1;
}

/** Content-Length members: 1 to 15 digits (a petabyte), so the number stays exact. */
const CONTENT_LENGTH = /^[0-9]{1,15}$/;

/** First index of `buf[from, to)` after optional whitespace (space and tab). */
export function skipOws(buf: Uint8Array, from: number, to: number): number {
  while (from < to && (buf[from] === 32 || buf[from] === 9)) from++;
  return from;
}

/** End of `buf[from, to)` with trailing optional whitespace cut off. */
export function trimOwsEnd(buf: Uint8Array, from: number, to: number): number {
  while (to > from && (buf[to - 1] === 32 || buf[to - 1] === 9)) to--;
  return to;
}

const TOKEN_TEXT = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const FIELD_VALUE_TEXT = /^[\t\x20-\x7e\x80-\xff]*$/;

/** Whether `text` is a token (RFC 9110 §5.6.2): a field name, a method. */
export function isToken(text: string): boolean {
  return TOKEN_TEXT.test(text);
}

/**
 * Whether `text` may be a field value as our heads write and read it: tab,
 * visible characters, spaces and obs-text; no CR, LF or other control
 * (RFC 9110 §5.5), nothing past one byte a character.
 */
export function isFieldValue(text: string): boolean {
  return FIELD_VALUE_TEXT.test(text);
}

/**
 * The Content-Length `value` merged with the one read before it (`previous`,
 * `-1` for none): "5, 5" and repeated equal headers are one length (RFC 9110
 * §8.6). A member that is not 1 to 15 digits, or one that disagrees, calls
 * `refuse` (with whether it was a disagreement), which throws the caller's error.
 */
export function mergeContentLength(
  previous: number,
  value: string,
  refuse: (value: string, conflicting: boolean) => never,
): number {
  // One plain length, the common value: no split, no pattern.
  if (value.length <= 15 && isDigits(value)) {
    const n = Number(value);
    if (previous !== -1 && previous !== n) refuse(value, true);
    return n;
  }
  let result = previous;
  for (const part of value.split(",")) {
    const trimmed = trimOws(part);
    if (!CONTENT_LENGTH.test(trimmed)) refuse(value, false);
    const n = Number(trimmed);
    if (result !== -1 && result !== n) refuse(value, true);
    result = n;
  }
  return result;
}

/** Whether `text` is one or more ASCII digits. */
function isDigits(text: string): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** Whether a message of HTTP/1.`minor` with this `Connection` header leaves the connection open. */
export function keepsAlive(minor: number, connection: string | null): boolean {
  if (connection === null) return minor === 1;
  // The usual values, as the parsers make them, cost no lower-casing.
  if (connection === "keep-alive") return true;
  if (connection === "close") return false;
  const tokens = connection.toLowerCase();
  if (tokens === "keep-alive") return true;
  if (tokens === "close") return false;
  // Closing is the safe side, so any word `close` closes; keeping an HTTP/1.0
  // connection needs `keep-alive` as a whole list member (`x: keep-alive` is
  // not one, and reusing that connection could read a stray answer).
  if (/(^|[\s,])close($|[\s,])/.test(tokens)) return false;
  return minor === 1 || tokens.split(",").some((t) => trimOws(t) === "keep-alive");
}

/**
 * Index of the first CRLFCRLF (the end of a head) that lies wholly in
 * `buf[from, end)`, or -1. Each step looks at the last byte of the four: a
 * byte that is neither CR nor LF cannot be in a match that starts at any of
 * the four positions up to it, so text moves four bytes at a time, a
 * quarter of the reads of a byte-by-byte scan.
 */
export function findBlankLine(buf: Uint8Array, from: number, end: number): number {
  let i = from;
  while (i + 3 < end) {
    const last = buf[i + 3];
    if (last === 10) {
      if (buf[i] === 13 && buf[i + 1] === 10 && buf[i + 2] === 13) return i;
      i++;
    } else if (last === 13) i++;
    else i += 4;
  }
  return -1;
}

/**
 * Where the field value from `from` ends: the index of its line's CRLF,
 * `end` on the head's last line, or -1 when a control character other than
 * tab comes first (a bare CR or LF too), which no field value may hold (RFC
 * 9110 §5.5). One pass over the value both finds the line's end and checks
 * its bytes, where a search for the CRLF and a check of the value made two.
 */
export function fieldValueEnd(buf: Uint8Array, from: number, end: number): number {
  for (let i = from; i < end; i++) {
    const b = buf[i];
    if (b < 32 ? b !== 9 : b === 127) {
      return b === 13 && i + 1 < end && buf[i + 1] === 10 ? i : -1;
    }
  }
  return end;
}

/** Index of the first CRLF in `buf[from, end)`, or `end`. */
export function findCrlf(buf: Uint8Array, from: number, end: number): number {
  for (let i = from; i + 1 < end; i++) {
    if (buf[i] === 13 && buf[i + 1] === 10) return i;
  }
  return end;
}

const utf8 = new TextDecoder();

/**
 * UTF-8 text of `bytes` by the runtime's own decode (`core.decode`, V8's
 * string from UTF-8) when this Deno has it: `TextDecoder.decode` is that
 * same call behind its argument checks, 200 ns against 130 for a 150-byte
 * head here, and every proxied request decodes two heads.
 */
const decodeUtf8: (bytes: Uint8Array) => string = runtimeDecode() ??
  ((bytes) => utf8.decode(bytes));

function runtimeDecode(): ((bytes: Uint8Array) => string) | undefined {
  const decode = runtimeCore()?.decode;
  return typeof decode === "function" ? decode as (bytes: Uint8Array) => string : undefined;
}

/** Latin-1 text of `buf[start, end)` (HTTP heads are bytes, not UTF-8). */
export function latin1(buf: Uint8Array, start: number, end: number): string {
  // A whole head is nearly always ASCII, where UTF-8 and latin-1 agree: one
  // native decode measured at a third of the cost of the character codes,
  // and at about half for a 40-byte head (wrk's GET: 170-210 against
  // 360-750 ns here); below about 16 bytes the character codes cost less.
  if (end - start >= 16 && isAscii(buf, start, end)) {
    return decodeUtf8(buf.subarray(start, end));
  }
  let out = "";
  for (let i = start; i < end; i += 4096) {
    out += String.fromCharCode.apply(
      null,
      buf.subarray(i, Math.min(end, i + 4096)) as unknown as number[],
    );
  }
  return out;
}

function isAscii(buf: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (buf[i] > 127) return false;
  return true;
}

/**
 * Strips HTTP's optional whitespace (space and tab) only: `String.prototype.trim`
 * also strips NBSP (0xa0) and vertical tab, which turned `chunked\xa0` into
 * `chunked` and `5\xa0` into a Content-Length of 5.
 */
export function trimOws(text: string): string {
  let from = 0;
  let to = text.length;
  while (from < to && (text.charCodeAt(from) === 32 || text.charCodeAt(from) === 9)) from++;
  while (to > from && (text.charCodeAt(to - 1) === 32 || text.charCodeAt(to - 1) === 9)) to--;
  return from === 0 && to === text.length ? text : text.slice(from, to);
}

/** Writes `text` one byte per character (latin-1) at `at` of `out`; the next position. */
export function putLatin1(out: Uint8Array, at: number, text: string): number {
  for (let i = 0; i < text.length; i++) out[at++] = text.charCodeAt(i);
  return at;
}

/** Copies `bytes` to `at` of `out`; the next position. */
export function putBytes(out: Uint8Array, at: number, bytes: Uint8Array): number {
  // One `set`: counted under callgrind, it costs less than a loop over the
  // bytes from a line's length (about 20) up.
  out.set(bytes, at);
  return at + bytes.length;
}

const NO_BYTES = new Uint8Array(0);

/**
 * Field lines `name: value\r\n` (latin-1) kept as bytes while the same
 * names and values come again: the lines the gateway adds to every request
 * (`Host`, `X-Forwarded-*`) repeat their values request after request, and
 * one copy of their bytes costs a fraction of writing each character of the
 * strings again. One list of lines is kept, so a memo holds one list's bytes.
 *
 * @example
 * ```ts
 * import { FieldLinesMemo } from "./http1_bytes.ts";
 * const memo = new FieldLinesMemo();
 * const out = new Uint8Array(64);
 * memo.put(out, 0, ["host", "a.example"], 0, 2); // 17: "host: a.example\r\n"
 * ```
 */
export class FieldLinesMemo {
  #pairs: string[] = [];
  #bytes = NO_BYTES;

  /**
   * Writes the lines of `pairs[from, to)` (flattened `[name, value, …]`) at
   * `at` of `out`; the next position.
   */
  put(out: Uint8Array, at: number, pairs: string[], from: number, to: number): number {
    if (!this.#holds(pairs, from, to)) {
      let length = 0;
      for (let i = from; i < to; i++) length += pairs[i].length + 2;
      const bytes = new Uint8Array(length);
      for (let i = from, k = 0; i < to; i += 2) k = putFieldLine(bytes, k, pairs[i], pairs[i + 1]);
      this.#pairs = pairs.slice(from, to);
      this.#bytes = bytes;
    }
    return putBytes(out, at, this.#bytes);
  }

  #holds(pairs: string[], from: number, to: number): boolean {
    const kept = this.#pairs;
    if (kept.length !== to - from || this.#bytes === NO_BYTES) return false;
    for (let i = 0; i < kept.length; i++) if (kept[i] !== pairs[from + i]) return false;
    return true;
  }
}

/** Writes the field line `name: value\r\n` (latin-1) at `at` of `out`; the next position. */
export function putFieldLine(out: Uint8Array, at: number, name: string, value: string): number {
  at = putLatin1(out, at, name);
  out[at++] = 58; // :
  out[at++] = 32;
  at = putLatin1(out, at, value);
  out[at++] = 13;
  out[at++] = 10;
  return at;
}

/**
 * Copies the field line whose name is `buf[nameStart, nameEnd)` (lower-cased
 * on the way) and value `buf[from, to)` (byte for byte) to `at` of `out` as
 * `name: value\r\n`; the next position.
 */
export function copyFieldLine(
  out: Uint8Array,
  at: number,
  buf: Uint8Array,
  nameStart: number,
  nameEnd: number,
  from: number,
  to: number,
): number {
  for (let i = nameStart; i < nameEnd; i++) {
    const b = buf[i];
    out[at++] = b >= 65 && b <= 90 ? b + 32 : b;
  }
  out[at++] = 58; // :
  out[at++] = 32;
  if (to - from > 64) {
    out.set(buf.subarray(from, to), at);
    at += to - from;
  } else for (let i = from; i < to; i++) out[at++] = buf[i];
  out[at++] = 13;
  out[at++] = 10;
  return at;
}
