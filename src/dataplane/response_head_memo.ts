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
 * The memo's bounds and its replacement rule are `head_memo.ts`'s: at most
 * 16 heads of 1 KiB with their lines (about 40 KiB), whatever backends send.
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
import { HeadMemo, KeptHead } from "./head_memo.ts";

export { HEAD_MEMO_BYTES as MEMO_HEAD_BYTES, MISSES_TO_REPLACE } from "./head_memo.ts";

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

/** A head read before: its bytes, its facts, its kept fields' places from its first byte. */
export class RememberedHead extends KeptHead implements HeadFacts {
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
  #lines: Uint8Array | undefined;

  constructor(buf: Uint8Array, start: number, end: number, facts: HeadFacts) {
    super(buf, start, end);
    this.status = facts.status;
    this.minor = facts.minor;
    this.contentLength = facts.contentLength;
    this.chunked = facts.chunked;
    this.untilClose = facts.untilClose;
    this.keepAlive = facts.keepAlive;
    this.trailer = facts.trailer;
    this.date = facts.date;
    this.places = facts.places.map((place) => place - start);
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

const memo = new HeadMemo<RememberedHead>();

/** The remembered head whose bytes are `buf[start, end)`, if any. */
export function recallHead(
  buf: Uint8Array,
  start: number,
  end: number,
): RememberedHead | undefined {
  return memo.recall(buf, start, end);
}

/**
 * Remembers `facts`, read from `buf[start, end)`, in place of the head of
 * the same slot; `undefined` when the memo does not keep it (`head_memo.ts`).
 */
export function rememberHead(
  buf: Uint8Array,
  start: number,
  end: number,
  facts: HeadFacts,
): RememberedHead | undefined {
  if (!memo.mayKeep(end - start)) return undefined;
  return memo.remember(end - start, () => new RememberedHead(buf, start, end, facts));
}

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
