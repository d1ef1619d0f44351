/**
 * Where a `Transfer-Encoding: chunked` body ends, found incrementally in the
 * bytes as they pass (the relay of a diverted connection,
 * `upgrade_relay.ts`, forwards them unchanged): chunk-size lines (with
 * extensions), chunk data and its CRLF, the last chunk and the trailer
 * section. Nothing is buffered; lines are only counted, and bounded.
 * @module
 */

/** Longest chunk-size line (extensions included) and longest trailer section. */
const MAX_SIZE_LINE = 4096;
const MAX_TRAILERS = 64 * 1024;
/** More hex digits than this cannot be a size the relay could count exactly. */
const MAX_SIZE_DIGITS = 12;

type State = "size" | "ext" | "data" | "data-cr" | "data-lf" | "trailer";

/**
 * One chunked body's framing.
 *
 * @example
 * ```ts
 * import { ChunkedFraming } from "./upgrade_chunked_framing.ts";
 * const body = new TextEncoder().encode("3\r\nabc\r\n0\r\n\r\nGET / HTTP/1.1");
 * const framing = new ChunkedFraming();
 * framing.consume(body, 0, body.length); // 15: the rest is the next message
 * framing.done; // true
 * ```
 */
export class ChunkedFraming {
  #state: State = "size";
  #digits = 0;
  #size = 0;
  #line = 0;
  #trailers = 0;
  #remaining = 0;
  /** The last chunk and the trailer section were seen. */
  done = false;
  /** The bytes are not a chunked body: the framing is lost. */
  failed = false;

  /**
   * Consumes body bytes from `buf[start, end)`; returns how many belong to
   * the body (less than offered once it ended), or `-1` when malformed.
   */
  consume(buf: Uint8Array, start: number, end: number): number {
    let i = start;
    while (i < end && !this.done) {
      if (this.#state === "data") {
        const take = Math.min(this.#remaining, end - i);
        this.#remaining -= take;
        i += take;
        if (this.#remaining === 0) this.#state = "data-cr";
        continue;
      }
      if (!this.#step(buf[i])) {
        this.failed = true;
        return -1;
      }
      i++;
    }
    return i - start;
  }

  /** One byte outside chunk data; false when it breaks the framing. */
  #step(b: number): boolean {
    switch (this.#state) {
      case "size":
      case "ext":
        if (++this.#line > MAX_SIZE_LINE) return false;
        if (b === 10) return this.#endSizeLine();
        if (this.#state === "ext" || b === 13) return true;
        if (b === 59 || b === 32 || b === 9) {
          this.#state = "ext";
          return this.#digits > 0;
        }
        return this.#digit(b);
      case "data-cr":
        this.#state = "data-lf";
        return b === 13;
      case "data-lf":
        this.#state = "size";
        this.#line = 0;
        return b === 10;
      case "trailer":
        if (++this.#trailers > MAX_TRAILERS) return false;
        if (b === 10) {
          if (this.#line === 0) this.done = true;
          this.#line = 0;
        } else if (b !== 13) this.#line++;
        return true;
    }
    return false;
  }

  #digit(b: number): boolean {
    const value = b >= 48 && b <= 57
      ? b - 48
      : b >= 97 && b <= 102
      ? b - 87
      : b >= 65 && b <= 70
      ? b - 55
      : -1;
    if (value < 0 || ++this.#digits > MAX_SIZE_DIGITS) return false;
    this.#size = this.#size * 16 + value;
    return true;
  }

  #endSizeLine(): boolean {
    if (this.#digits === 0) return false;
    const size = this.#size;
    this.#digits = 0;
    this.#size = 0;
    this.#line = 0;
    if (size === 0) {
      this.#state = "trailer";
      return true;
    }
    this.#remaining = size;
    this.#state = "data";
    return true;
  }
}
