/**
 * The errors of the HPACK codec (RFC 7541), apart so that the Huffman coder,
 * the tables and the codec can all throw them without importing each other.
 * @module
 */

/**
 * A header block that cannot be decoded: the connection must end with a
 * `COMPRESSION_ERROR` (RFC 9113 §4.3), because the dynamic table may no
 * longer match the peer's.
 *
 * @example
 * ```ts
 * import { HpackDecoder, HpackError } from "./hpack.ts";
 * try {
 *   new HpackDecoder().decode(new Uint8Array([0x80])); // index 0
 * } catch (error) {
 *   console.log(error instanceof HpackError); // true
 * }
 * ```
 */
export class HpackError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "HpackError";
  }
}

/**
 * A header block that decoded completely, so the dynamic table is still in
 * step with the peer's, but whose field list is unacceptable: larger than
 * the decoder's `maxHeaderListSize`, or holding a field name or value that
 * RFC 9113 §8.2.1 forbids. A stream error is enough (RST_STREAM, or a 431
 * for an oversized list); the connection may continue. It is an
 * {@linkcode HpackError}, so a caller that tears down the connection on any
 * `HpackError` is still correct, only harsher.
 *
 * @example
 * ```ts
 * import { HpackDecoder, HpackFieldError } from "./hpack.ts";
 * const decoder = new HpackDecoder({ maxHeaderListSize: 40 });
 * try {
 *   decoder.decode(new Uint8Array([0x82, 0x84])); // :method GET, :path /
 * } catch (error) {
 *   console.log(error instanceof HpackFieldError); // true: :method GET alone counts 42 bytes
 * }
 * ```
 */
export class HpackFieldError extends HpackError {
  constructor(message: string) {
    super(message);
    this.name = "HpackFieldError";
  }
}
