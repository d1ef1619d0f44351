/**
 * A view of a buffer's first bytes, handed to one write and handed again
 * while the buffer and the length are the same: a connection writes heads of
 * the same length over and over, and a new view costs the runtime a typed
 * array's making (about 300 instructions and 100 bytes). The bytes a view
 * shows are its buffer's, so a view kept shows what was written last.
 *
 * @example
 * ```ts
 * import { LeadingView } from "./leading_view.ts";
 * const lead = new LeadingView();
 * const buf = new Uint8Array(64);
 * lead.of(buf, 3) === lead.of(buf, 3); // true
 * ```
 * @module
 */

/** The last view made of a buffer's first bytes, and the buffer it is of. */
export class LeadingView {
  #view: Uint8Array | undefined;
  #buf: Uint8Array | undefined;

  /** `buf`'s first `length` bytes: the last view, when it is of `buf` and as long. */
  of(buf: Uint8Array, length: number): Uint8Array {
    const view = this.#view;
    if (view !== undefined && this.#buf === buf && view.length === length) return view;
    this.#buf = buf;
    return this.#view = buf.subarray(0, length);
  }

  /** Whether the view kept is of `buf`. */
  isOf(buf: Uint8Array): boolean {
    return this.#view !== undefined && this.#buf === buf;
  }

  /** Lets go of the view and its buffer. */
  forget(): void {
    this.#view = this.#buf = undefined;
  }
}
