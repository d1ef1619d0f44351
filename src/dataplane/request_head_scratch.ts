/**
 * The buffer an upstream connection writes its request heads in (and a
 * small body after one), reused for every request of the connection: the
 * previous write has completed before the next request starts. The view of
 * a head written there is handed again while the head is as long: a
 * connection sends the same head over and over, and a new view costs a
 * typed array's making (about 300 instructions and 100 bytes).
 *
 * @example
 * ```ts
 * import { RequestHeadScratch } from "./request_head_scratch.ts";
 * const scratch = new RequestHeadScratch();
 * const buf = scratch.scratch(100)!;
 * buf.set([71, 69, 84]);
 * scratch.scratchHead(3); // the bytes "GET"
 * ```
 * @module
 */
import { LeadingView } from "./leading_view.ts";

/** The buffer kept; a larger head gets one as large, up to {@linkcode MAX_SCRATCH}. */
const SCRATCH_BYTES = 4 * 1024;
/** Heads larger than this get an array of their own. */
const MAX_SCRATCH = 16 * 1024;

/** One connection's request-head buffer. */
export class RequestHeadScratch {
  #buf: Uint8Array | undefined;
  /** The last view {@linkcode scratchHead} gave. */
  readonly #lead = new LeadingView();

  /** A buffer of at least `size` bytes for the next head; `undefined` when too large to keep. */
  scratch(size: number): Uint8Array | undefined {
    if (size > MAX_SCRATCH) return undefined;
    if (this.#buf === undefined || this.#buf.length < size) {
      this.#buf = new Uint8Array(Math.max(SCRATCH_BYTES, size));
    }
    return this.#buf;
  }

  /** The first `length` bytes of the buffer, as the last such view when as long. */
  scratchHead(length: number): Uint8Array {
    return this.#lead.of(this.#buf!, length);
  }
}
