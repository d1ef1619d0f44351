/**
 * Heads kept by their bytes, for parsers whose reading depends on a head's
 * bytes alone: a peer sends the same head over and over (a backend's answer,
 * a client's request), and comparing the bytes with a head read before
 * costs a fraction of reading them again; a head with the same bytes is
 * read the same way, so the reading kept with them serves it.
 *
 * A memo keeps one head per slot, by length ({@linkcode HEAD_MEMO_SLOTS}
 * slots, heads of at most {@linkcode HEAD_MEMO_BYTES}): whatever a peer
 * sends, it holds at most 16 heads of 1 KiB with their readings. A slot
 * whose head never came again gives way only after
 * {@linkcode MISSES_TO_REPLACE} other heads of its length, so a peer whose
 * every head differs costs the copy once in that many heads.
 *
 * @example
 * ```ts
 * import { HeadMemo, KeptHead } from "./head_memo.ts";
 * class Kept extends KeptHead {
 *   constructor(buf: Uint8Array, start: number, end: number, readonly status: number) {
 *     super(buf, start, end);
 *   }
 * }
 * const memo = new HeadMemo<Kept>();
 * const bytes = new TextEncoder().encode("HTTP/1.1 204 No Content");
 * memo.remember(bytes.length, () => new Kept(bytes, 0, bytes.length, 204));
 * memo.recall(bytes, 0, bytes.length)?.status; // 204
 * ```
 * @module
 */

/** Slots of a memo (a power of two: a head's slot is its length's low bits). */
export const HEAD_MEMO_SLOTS = 16;
/** Longest head kept: a longer one is read every time. */
export const HEAD_MEMO_BYTES = 1024;
/** Heads of a slot's length read while its head never came again, before it gives way. */
export const MISSES_TO_REPLACE = 8;

/** A head's bytes as kept: a copy, and the same as 32-bit words for the compare. */
export class KeptHead {
  /** A copy of the head's bytes. */
  readonly bytes: Uint8Array;
  /** The same bytes as little-endian 32-bit words (the last one padded with zeros). */
  readonly words: Int32Array;
  /** Whether a head with these bytes came again. */
  readAgain = false;
  /** Other heads of this slot's length read since, while none came again. */
  misses = 0;

  constructor(buf: Uint8Array, start: number, end: number) {
    this.bytes = buf.slice(start, end);
    const padded = new Uint8Array(Math.ceil(this.bytes.length / 4) * 4);
    padded.set(this.bytes);
    const view = new DataView(padded.buffer);
    this.words = new Int32Array(padded.length / 4);
    for (let k = 0; k < this.words.length; k++) this.words[k] = view.getInt32(4 * k, true);
  }
}

/** Longest run of lookups a slot skips after misses (see {@linkcode HeadMemo}). */
export const MAX_SKIPS = 1024;

/**
 * Kept heads by their bytes. A slot that misses stops paying for itself
 * for a while: after a lookup of a head that is not its own (the compare,
 * and keeping the new head, cost on top of the parse), the next lookups of
 * its length skip the memo, one after the first miss, then twice as many
 * after each miss in a row, up to {@linkcode MAX_SKIPS}; a head found
 * resets it. Heads that never repeat (a request id, a trace id in each)
 * then cost a counter's step over no memo; a backend whose head changes
 * once a second (its `Date`) costs one skipped lookup a second.
 */
export class HeadMemo<T extends KeptHead> {
  readonly #slots: (T | undefined)[] = new Array(HEAD_MEMO_SLOTS).fill(undefined);
  /** Lookups each slot still skips, and the run it skipped last. */
  readonly #skips = new Int32Array(HEAD_MEMO_SLOTS);
  readonly #run = new Int32Array(HEAD_MEMO_SLOTS);
  /** The last lookup skipped its slot: the head it missed is not kept either. */
  #skipped = false;

  /** The kept head whose bytes are `buf[start, end)`, if any. */
  recall(buf: Uint8Array, start: number, end: number): T | undefined {
    const length = end - start;
    const slot = length & (HEAD_MEMO_SLOTS - 1);
    if (this.#skips[slot] > 0) {
      this.#skips[slot]--;
      this.#skipped = true;
      return undefined;
    }
    this.#skipped = false;
    const known = this.#slots[slot];
    if (known === undefined) return undefined;
    const found = sameBytes(known, buf, start, length);
    const run = this.#run[slot];
    if (!found) {
      this.#run[slot] = this.#skips[slot] = run === 0 ? 1 : Math.min(run * 2, MAX_SKIPS);
      return undefined;
    }
    this.#run[slot] = 0;
    known.readAgain = true;
    return known;
  }

  /**
   * Whether {@linkcode remember} may keep the head the last lookup missed,
   * `length` bytes long: checked first, it spares a caller making what it
   * would pass when the lookup skipped its slot.
   */
  mayKeep(length: number): boolean {
    return !this.#skipped && length <= HEAD_MEMO_BYTES;
  }

  /** Lookups of heads `length` bytes long that will still skip the memo. */
  skipsLeft(length: number): number {
    return this.#skips[length & (HEAD_MEMO_SLOTS - 1)];
  }

  /**
   * Keeps what `make` makes of a head `length` bytes long (a `KeptHead` of
   * its bytes, the one the last lookup missed) in place of the head of its
   * slot; `undefined` (and `make` not called) when the head is too long to
   * keep, the lookup skipped its slot, or its slot's head has not yet given
   * way.
   */
  remember(length: number, make: () => T): T | undefined {
    if (length > HEAD_MEMO_BYTES || this.#skipped) return undefined;
    const slot = length & (HEAD_MEMO_SLOTS - 1);
    const held = this.#slots[slot];
    if (held !== undefined && !held.readAgain && ++held.misses < MISSES_TO_REPLACE) {
      return undefined;
    }
    return this.#slots[slot] = make();
  }
}

/**
 * Whether `buf[start, start + length)` holds the bytes of `known`. Every
 * byte is compared, whatever the first difference: a compare that stopped
 * there would take longer the more of a kept head a client's guess matched
 * (a kept request head may carry another client's `Authorization` or
 * `Cookie`), so its time depends on the length alone.
 */
function sameBytes(known: KeptHead, buf: Uint8Array, start: number, length: number): boolean {
  const bytes = known.bytes;
  if (bytes.length !== length) return false;
  // Four bytes a step: a byte at a time cost about five times as many instructions.
  const view = viewOf(buf.buffer as ArrayBuffer);
  const words = known.words;
  const whole = length >> 2;
  const at = buf.byteOffset + start;
  let differ = 0;
  for (let k = 0; k < whole; k++) differ |= view.getInt32(at + 4 * k, true) ^ words[k];
  for (let i = whole * 4; i < length; i++) differ |= buf[start + i] ^ bytes[i];
  return differ === 0;
}

/** A view of each buffer heads are read from (a connection's, for its life): made once per buffer. */
const views = new WeakMap<ArrayBuffer, DataView>();

function viewOf(buffer: ArrayBuffer): DataView {
  let view = views.get(buffer);
  if (view === undefined) views.set(buffer, view = new DataView(buffer));
  return view;
}
