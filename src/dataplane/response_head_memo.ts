/**
 * Backend response heads read before, kept by their bytes: a backend
 * answers the same request with the same head again and again (its `Date`
 * changes once a second), and comparing a head's bytes with one already
 * read costs a fraction of reading it again (about a fifth, counted under
 * callgrind for nginx's 145-byte head). Reading a head depends on its bytes
 * alone, so a head with the same bytes is read the same way: the parser
 * (`upstream_head_parser.ts`) takes the facts remembered here instead.
 * The kept fields' lines as our HTTP/1.1 server writes them to the client
 * (lower-case names, values as sent) are made once per remembered head too.
 * A head that is not remembered is read, and its lines copied, as before.
 *
 * Heads are kept by length, one per slot of {@linkcode MEMO_SLOTS}, each at
 * most {@linkcode MEMO_HEAD_BYTES} long: whatever backends send, the memo
 * holds at most 16 heads of 1 KiB with their lines (about 40 KiB).
 *
 * @example
 * ```ts
 * import { recallHead, rememberHead } from "./response_head_memo.ts";
 * const bytes = new TextEncoder().encode("HTTP/1.1 204 No Content\r\nX-A: 1");
 * const facts = {
 *   status: 204, minor: 1, contentLength: -1, chunked: false, untilClose: false,
 *   keepAlive: true, trailer: false, date: false, places: [25, 28, 30, 31],
 * };
 * rememberHead(bytes, 0, bytes.length, facts);
 * recallHead(bytes, 0, bytes.length)?.status; // 204
 * ```
 * @module
 */
import { copyFieldLine } from "./http1_bytes.ts";

/** What reading a head decided, as the parser's head holds it. */
export interface HeadFacts {
  readonly status: number;
  readonly minor: number;
  readonly contentLength: number;
  readonly chunked: boolean;
  readonly untilClose: boolean;
  readonly keepAlive: boolean;
  readonly trailer: boolean;
  readonly date: boolean;
  /** The kept fields: four places each in the head's buffer (name, colon, value start, value end). */
  readonly places: readonly number[];
}

/** Slots of the memo (a power of two: a head's slot is its length's low bits). */
export const MEMO_SLOTS = 16;
/** Longest head kept: a longer one is read every time. */
export const MEMO_HEAD_BYTES = 1024;

/** A head read before: its bytes, its facts, its kept fields' places from its first byte. */
export class RememberedHead implements HeadFacts {
  readonly status: number;
  readonly minor: number;
  readonly contentLength: number;
  readonly chunked: boolean;
  readonly untilClose: boolean;
  readonly keepAlive: boolean;
  readonly trailer: boolean;
  readonly date: boolean;
  /** Places counted from the head's first byte. */
  readonly places: number[];
  /** A copy of the head's bytes. */
  readonly bytes: Uint8Array;
  /** The same bytes as little-endian 32-bit words (the last one padded with zeros), for the compare. */
  readonly words: Int32Array;
  /** Whether a head with these bytes came again. */
  readAgain = false;
  /** Other heads of this slot's length read since, while none came again. */
  misses = 0;
  #lines: Uint8Array | undefined;

  constructor(buf: Uint8Array, start: number, end: number, facts: HeadFacts) {
    this.status = facts.status;
    this.minor = facts.minor;
    this.contentLength = facts.contentLength;
    this.chunked = facts.chunked;
    this.untilClose = facts.untilClose;
    this.keepAlive = facts.keepAlive;
    this.trailer = facts.trailer;
    this.date = facts.date;
    this.places = facts.places.map((place) => place - start);
    this.bytes = buf.slice(start, end);
    const padded = new Uint8Array(Math.ceil(this.bytes.length / 4) * 4);
    padded.set(this.bytes);
    const view = new DataView(padded.buffer);
    this.words = new Int32Array(padded.length / 4);
    for (let k = 0; k < this.words.length; k++) this.words[k] = view.getInt32(4 * k, true);
  }

  /** The places in a buffer holding these bytes from `start` on. */
  placesAt(start: number): number[] {
    return start === 0 ? this.places.slice() : this.places.map((place) => place + start);
  }

  /** The kept fields as `name: value\r\n` lines (names lower-cased), made once. */
  lines(): Uint8Array {
    return this.#lines ??= fieldLines(this.bytes, this.places);
  }
}

const memo: (RememberedHead | undefined)[] = new Array(MEMO_SLOTS).fill(undefined);

/** The remembered head whose bytes are `buf[start, end)`, if any. */
export function recallHead(
  buf: Uint8Array,
  start: number,
  end: number,
): RememberedHead | undefined {
  const length = end - start;
  const known = memo[length & (MEMO_SLOTS - 1)];
  if (known === undefined) return undefined;
  const bytes = known.bytes;
  if (bytes.length !== length) return undefined;
  // Four bytes a step: a byte at a time cost about five times as many instructions.
  const view = viewOf(buf.buffer as ArrayBuffer);
  const words = known.words;
  const whole = length >> 2;
  const at = buf.byteOffset + start;
  for (let k = 0; k < whole; k++) {
    if (view.getInt32(at + 4 * k, true) !== words[k]) return undefined;
  }
  for (let i = whole * 4; i < length; i++) if (buf[start + i] !== bytes[i]) return undefined;
  known.readAgain = true;
  return known;
}

/** A view of each buffer heads are read from (a connection's, for its life): made once per buffer. */
const views = new WeakMap<ArrayBuffer, DataView>();

function viewOf(buffer: ArrayBuffer): DataView {
  let view = views.get(buffer);
  if (view === undefined) views.set(buffer, view = new DataView(buffer));
  return view;
}

/**
 * Remembers `facts`, read from `buf[start, end)`, in place of the head of
 * the same slot; `undefined` when the head is too long to keep, or its slot
 * holds a head that never came again and {@linkcode MISSES_TO_REPLACE}
 * others have not come since: a backend whose every head differs (a
 * request id, a cookie) costs the copy once in that many heads.
 */
export function rememberHead(
  buf: Uint8Array,
  start: number,
  end: number,
  facts: HeadFacts,
): RememberedHead | undefined {
  const length = end - start;
  if (length > MEMO_HEAD_BYTES) return undefined;
  const slot = length & (MEMO_SLOTS - 1);
  const held = memo[slot];
  if (held !== undefined && !held.readAgain && ++held.misses < MISSES_TO_REPLACE) return undefined;
  return memo[slot] = new RememberedHead(buf, start, end, facts);
}

/** Heads of a slot's length read while its head never came again, before it gives way. */
export const MISSES_TO_REPLACE = 8;

/**
 * The kept fields at `places` of `buf` as `name: value\r\n` lines, names
 * lower-cased and values as they are: what our HTTP/1.1 server writes of
 * each field it passes on.
 */
export function fieldLines(buf: Uint8Array, places: readonly number[]): Uint8Array {
  let length = 0;
  for (let i = 0; i < places.length; i += 4) {
    length += places[i + 1] - places[i] + places[i + 3] - places[i + 2] + 4;
  }
  const out = new Uint8Array(length);
  let at = 0;
  for (let i = 0; i < places.length; i += 4) {
    at = copyFieldLine(out, at, buf, places[i], places[i + 1], places[i + 2], places[i + 3]);
  }
  return out;
}
