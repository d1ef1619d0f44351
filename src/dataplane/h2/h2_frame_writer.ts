/**
 * The frames a connection sends in one turn, written one after another into
 * one buffer and taken out as one array for one write. Every typed array
 * costs the runtime about half a microsecond to make whatever its size, and
 * a response was several (its header block, a HEADERS frame, a DATA frame,
 * then the array joining a turn's frames): now a turn makes one, however
 * many responses it holds.
 *
 * @example
 * ```ts
 * import { FrameWriter } from "./h2_frame_writer.ts";
 * import { Flag, FrameType } from "./h2_frames.ts";
 * const out = new FrameWriter();
 * out.frame(FrameType.DATA, Flag.END_STREAM, 1, new TextEncoder().encode("hi"));
 * out.uint32Frame(FrameType.WINDOW_UPDATE, 0, 1, 2);
 * console.log(out.length, out.take().length, out.length); // 24 24 0
 * ```
 * @module
 */
import { Flag, FrameType, writeFrameHeader, writeUint32 } from "./h2_frames.ts";

const FRAME_HEADER = 9;
const EMPTY = new Uint8Array(0);
/** The buffer a writer starts with, made at its first frame. */
const FIRST_BUFFER_BYTES = 4096;
/**
 * Output past this size is handed over without a copy (the writer starts a
 * new buffer); smaller output is copied out and the buffer kept.
 */
const HAND_OVER_BYTES = 16384;

/**
 * Frames appended to one buffer until {@linkcode take}; with a `sink`, what
 * a turn wrote goes to it as one array when the turn ends (a microtask), or
 * at once on {@linkcode flush}.
 */
export class FrameWriter {
  #buf: Uint8Array<ArrayBuffer> = EMPTY;
  #len = 0;
  #flushQueued = false;

  constructor(readonly sink?: (bytes: Uint8Array) => void) {}

  /** Hands what was written to the sink now (nothing when empty). */
  flush = (): void => {
    this.#flushQueued = false;
    if (this.#len > 0) this.sink?.(this.take());
  };

  /** Bytes written since the last {@linkcode take}. */
  get length(): number {
    return this.#len;
  }

  /** A frame of `type` carrying `payload` (copied). */
  frame(type: number, flags: number, streamId: number, payload: Uint8Array = EMPTY): void {
    const at = this.#header(type, flags, streamId, payload.length);
    this.#buf.set(payload, at);
    this.#len = at + payload.length;
  }

  /** A frame whose payload is one 32-bit value (WINDOW_UPDATE, RST_STREAM). */
  uint32Frame(type: number, flags: number, streamId: number, value: number): void {
    const at = this.#header(type, flags, streamId, 4);
    writeUint32(this.#buf, at, value);
    this.#len = at + 4;
  }

  /**
   * A header block as HEADERS and as many CONTINUATION frames as
   * `maxFrameSize` requires, END_HEADERS on the last (RFC 9113 §4.3), back
   * to back: the frames of a block must not be interleaved with others.
   */
  headers(
    streamId: number,
    block: Uint8Array,
    endStream: boolean,
    maxFrameSize: number,
    length = block.length,
  ): void {
    if (length <= maxFrameSize) {
      // One HEADERS frame, the rule: copied from the block's first `length` bytes, without a view of them.
      const flags = Flag.END_HEADERS | (endStream ? Flag.END_STREAM : 0);
      const at = this.#header(FrameType.HEADERS, flags, streamId, length);
      const buf = this.#buf;
      if (length === block.length) buf.set(block, at);
      else for (let i = 0; i < length; i++) buf[at + i] = block[i];
      this.#len = at + length;
      return;
    }
    if (length < block.length) block = block.subarray(0, length);
    let offset = 0;
    do {
      const piece = block.subarray(offset, offset + maxFrameSize);
      const first = offset === 0;
      offset += piece.length;
      const last = offset >= block.length;
      const flags = (last ? Flag.END_HEADERS : 0) | (first && endStream ? Flag.END_STREAM : 0);
      this.frame(first ? FrameType.HEADERS : FrameType.CONTINUATION, flags, streamId, piece);
    } while (offset < block.length);
  }

  /** Bytes already framed (copied). */
  bytes(bytes: Uint8Array): void {
    this.#reserve(bytes.length);
    this.#buf.set(bytes, this.#len);
    this.#len += bytes.length;
  }

  /** Everything written since the last call, as an array the caller owns; empties the writer. */
  take(): Uint8Array<ArrayBuffer> {
    const n = this.#len;
    this.#len = 0;
    if (n <= HAND_OVER_BYTES) return this.#buf.slice(0, n);
    const out = this.#buf.subarray(0, n);
    this.#buf = EMPTY;
    return out;
  }

  /** Writes a frame header for a payload of `length` bytes and returns where the payload goes. */
  #header(type: number, flags: number, streamId: number, length: number): number {
    this.#reserve(FRAME_HEADER + length);
    const at = this.#len;
    writeFrameHeader(this.#buf, at, type, flags, streamId, length);
    return at + FRAME_HEADER;
  }

  #reserve(bytes: number): void {
    if (this.sink !== undefined && !this.#flushQueued) {
      this.#flushQueued = true;
      queueMicrotask(this.flush);
    }
    const needed = this.#len + bytes;
    if (needed <= this.#buf.length) return;
    const grown = new Uint8Array(Math.max(needed, 2 * this.#buf.length, FIRST_BUFFER_BYTES));
    grown.set(this.#buf.subarray(0, this.#len));
    this.#buf = grown;
  }
}
