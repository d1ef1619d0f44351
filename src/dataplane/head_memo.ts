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

/** Kept heads by their bytes. */
export class HeadMemo<T extends KeptHead> {
  readonly #slots: (T | undefined)[] = new Array(HEAD_MEMO_SLOTS).fill(undefined);

  /** The kept head whose bytes are `buf[start, end)`, if any. */
  recall(buf: Uint8Array, start: number, end: number): T | undefined {
    const length = end - start;
    const known = this.#slots[length & (HEAD_MEMO_SLOTS - 1)];
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

  /**
   * Keeps what `make` makes of a head `length` bytes long (a `KeptHead` of
   * its bytes) in place of the head of its slot; `undefined` (and `make`
   * not called) when the head is too long to keep, or its slot's head has
   * not yet given way.
   */
  remember(length: number, make: () => T): T | undefined {
    if (length > HEAD_MEMO_BYTES) return undefined;
    const slot = length & (HEAD_MEMO_SLOTS - 1);
    const held = this.#slots[slot];
    if (held !== undefined && !held.readAgain && ++held.misses < MISSES_TO_REPLACE) {
      return undefined;
    }
    return this.#slots[slot] = make();
  }
}

/** A view of each buffer heads are read from (a connection's, for its life): made once per buffer. */
const views = new WeakMap<ArrayBuffer, DataView>();

function viewOf(buffer: ArrayBuffer): DataView {
  let view = views.get(buffer);
  if (view === undefined) views.set(buffer, view = new DataView(buffer));
  return view;
}
