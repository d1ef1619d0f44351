/**
 * HPACK (RFC 7541), the header compression of HTTP/2 (RFC 9113 §4.3): the
 * decoder here, the encoder in `hpack_encoder.ts`, both exported from this
 * module. One decoder and one encoder per connection, each used in the
 * order the header blocks travel on it.
 *
 * The decoder is written for hostile peers: every length and index is
 * checked against the block and the tables before it is used, integers are
 * bounded, Huffman strings are checked for EOS and padding, the dynamic
 * table is bounded by its byte size, and the decoded list by
 * `maxHeaderListSize`.
 * @module
 */
import { HpackError, HpackFieldError } from "./hpack_error.ts";
import { checkField } from "./hpack_fields.ts";
import { huffmanDecode } from "./hpack_huffman.ts";
import { DynamicTable, fieldSize, STATIC_LENGTH, STATIC_TABLE } from "./hpack_tables.ts";

export { HpackError, HpackFieldError } from "./hpack_error.ts";
export { HpackEncoder } from "./hpack_encoder.ts";

/** Limits of {@linkcode HpackDecoder}. */
export interface HpackDecoderLimits {
  /**
   * The largest dynamic table the peer may use (default 4096). Leave it at
   * 4096, the protocol's initial value, even when our SETTINGS say less: the
   * peer may send blocks before it has read them. Apply our
   * SETTINGS_HEADER_TABLE_SIZE with {@linkcode HpackDecoder.setMaxTableSize}
   * when the peer acknowledges them.
   */
  maxTableSize: number;
  /** Our SETTINGS_MAX_HEADER_LIST_SIZE: name + value + 32 bytes a field, summed (default 65536). */
  maxHeaderListSize: number;
}

const DEFAULT_LIMITS: HpackDecoderLimits = { maxTableSize: 4096, maxHeaderListSize: 65536 };
// At most 5 bytes after the prefix: 7 × 5 bits cover every value up to 2^31 − 1.
const MAX_INTEGER = 0x7fffffff;
const MAX_CONTINUATION_BYTES = 5;
const EMPTY = new Uint8Array(0);
const KEPT_SCRATCH_BYTES = 16384;

/**
 * Decodes header blocks. What it throws:
 *
 * - {@linkcode HpackError} for a block that breaks RFC 7541: an index of 0 or
 *   past both tables, an integer above 2^31 − 1 or with more than 5
 *   continuation bytes, a string longer than the rest of the block, bad
 *   Huffman (EOS, padding over 7 bits or not all ones), a table size update
 *   above our limit or after a field, or a block that omits the size update
 *   owed after {@linkcode setMaxTableSize} lowered the limit. The decoder
 *   stops there and its table may differ from the peer's: end the
 *   connection with COMPRESSION_ERROR.
 * - {@linkcode HpackFieldError} when the block decoded completely but its
 *   field list is too large (over `maxHeaderListSize`) or holds a field
 *   RFC 9113 §8.2.1 forbids: a name that is empty, not a token, or has
 *   upper case (a colon only as the first character, for pseudo-headers),
 *   or a value with NUL, CR or LF or starting or ending with a space or
 *   tab. Decoding goes on to the end of the block in that case, so the
 *   table stays in step and only the stream needs to be refused.
 *
 * Pseudo-header rules (which ones, their order, connection-specific fields)
 * belong to the HTTP/2 layer, not to this decoder. Names and values are
 * latin-1 strings, one character per octet: non-UTF-8 bytes never throw.
 *
 * @example
 * ```ts
 * import { HpackDecoder } from "./hpack.ts";
 * const decoder = new HpackDecoder();
 * // RFC 7541 C.3.1: :method GET, :scheme http, :path /, :authority www.example.com
 * const block = Uint8Array.from([0x82, 0x86, 0x84, 0x41, 0x0f,
 *   ...new TextEncoder().encode("www.example.com")]);
 * console.log(decoder.decode(block)); // [[":method","GET"], [":scheme","http"], [":path","/"], [":authority","www.example.com"]]
 * ```
 */
export class HpackDecoder {
  #table: DynamicTable;
  #limit: number;
  #maxListSize: number;
  /** The limit went below the table's size: the next block must start with a size update. */
  #updateOwed = false;
  /** Huffman output; made on the first Huffman string (a typed array costs about a microsecond). */
  #scratch = EMPTY;
  #block: Uint8Array = EMPTY;
  #pos = 0;

  constructor(limits: Partial<HpackDecoderLimits> = {}) {
    const { maxTableSize, maxHeaderListSize } = { ...DEFAULT_LIMITS, ...limits };
    this.#limit = maxTableSize;
    this.#maxListSize = maxHeaderListSize;
    this.#table = new DynamicTable(maxTableSize);
  }

  /** Bytes the dynamic table holds now (§4.1 sizes). */
  get tableSize(): number {
    return this.#table.size;
  }

  /**
   * Applies our SETTINGS_HEADER_TABLE_SIZE once the peer has acknowledged
   * it. A lower value evicts at once and makes the peer owe a size update at
   * the start of its next block (§4.2).
   */
  setMaxTableSize(size: number): void {
    this.#limit = size;
    if (this.#table.maxSize > size) {
      this.#table.setMaxSize(size);
      this.#updateOwed = true;
    }
  }

  /**
   * Decodes one complete header block (the HEADERS or PUSH_PROMISE fragment
   * and its CONTINUATIONs, concatenated) into `[name, value]` pairs in
   * order.
   */
  decode(block: Uint8Array): [string, string][] {
    this.#block = block;
    this.#pos = 0;
    try {
      return this.#decodeFields();
    } finally {
      this.#block = EMPTY;
      // One huge Huffman string must not pin its buffer for the connection's life.
      if (this.#scratch.length > KEPT_SCRATCH_BYTES) this.#scratch = EMPTY;
    }
  }

  #decodeFields(): [string, string][] {
    const block = this.#block;
    const fields: [string, string][] = [];
    let listSize = 0;
    let problem: string | undefined;
    let sawField = false;
    while (this.#pos < block.length) {
      const first = block[this.#pos];
      if ((first & 0xe0) === 0x20) {
        if (sawField) {
          throw new HpackError("Cannot decode header block: table size update after a field");
        }
        this.#sizeUpdate();
        continue;
      }
      if (!sawField) {
        if (this.#updateOwed) throw owedUpdate();
        sawField = true;
      }
      let name: string;
      let value: string;
      // Why the field is malformed (§8.2.1), or undefined. The static table's fields are
      // well formed, and a dynamic entry keeps the verdict it got when it was added.
      let verdict: string | undefined;
      if (first & 0x80) {
        const index = this.#readInteger(0x7f);
        name = this.#name(index);
        if (index <= STATIC_LENGTH) value = STATIC_TABLE[index - 1][1];
        else {
          value = this.#table.value(index - 62);
          verdict = this.#table.note(index - 62);
        }
      } else {
        // 01: incremental indexing (6-bit index); 0000 and 0001: not indexed (4-bit).
        const index = this.#readInteger(first & 0x40 ? 0x3f : 0x0f);
        name = index === 0 ? this.#readString() : this.#name(index);
        value = this.#readString();
        verdict = checkField(name, value);
        if (first & 0x40) this.#table.add(name, value, verdict);
      }
      listSize += fieldSize(name, value);
      if (problem !== undefined) continue;
      if (listSize > this.#maxListSize) {
        problem = `Cannot accept header list: it exceeds ${this.#maxListSize} bytes`;
      } else {
        problem = verdict;
        fields.push([name, value]);
      }
    }
    if (this.#updateOwed) throw owedUpdate();
    if (problem !== undefined) throw new HpackFieldError(problem);
    return fields;
  }

  #sizeUpdate(): void {
    const size = this.#readInteger(0x1f);
    if (size > this.#limit) {
      throw new HpackError(
        `Cannot apply table size update: ${size} is above the limit of ${this.#limit}`,
      );
    }
    this.#table.setMaxSize(size);
    this.#updateOwed = false;
  }

  /** Name of the field at `index` of the static or the dynamic table. */
  #name(index: number): string {
    if (index === 0) throw new HpackError("Cannot decode header field: index 0 is not allowed");
    if (index <= STATIC_LENGTH) return STATIC_TABLE[index - 1][0];
    if (index - 62 >= this.#table.length) {
      throw new HpackError(
        `Cannot decode header field: index ${index} is past the tables (${
          STATIC_LENGTH + this.#table.length
        } entries)`,
      );
    }
    return this.#table.name(index - 62);
  }

  /** An integer with an N-bit prefix (§5.1); `mask` is 2^N − 1. */
  #readInteger(mask: number): number {
    const block = this.#block;
    let pos = this.#pos;
    let value = block[pos++] & mask;
    if (value === mask) {
      let factor = 1;
      for (let count = 1;; count++) {
        if (pos >= block.length) throw truncated("an integer");
        const byte = block[pos++];
        value += (byte & 0x7f) * factor;
        if ((byte & 0x80) === 0) break;
        if (count === MAX_CONTINUATION_BYTES) {
          throw new HpackError("Cannot decode integer: more than 5 continuation bytes");
        }
        factor *= 128;
      }
      if (value > MAX_INTEGER) {
        throw new HpackError(`Cannot decode integer: ${value} is above 2^31 - 1`);
      }
    }
    this.#pos = pos;
    return value;
  }

  /** A string literal (§5.2), raw or Huffman-coded, as latin-1. */
  #readString(): string {
    const block = this.#block;
    if (this.#pos >= block.length) throw truncated("a string");
    const huffman = (block[this.#pos] & 0x80) !== 0;
    const length = this.#readInteger(0x7f);
    const start = this.#pos;
    if (length > block.length - start) {
      throw new HpackError(
        `Cannot decode string: its length ${length} runs past the block (${
          block.length - start
        } bytes left)`,
      );
    }
    this.#pos = start + length;
    if (!huffman) return latin1(block, start, start + length);
    // The shortest code is 5 bits, so n bytes decode to at most 8n/5.
    const most = Math.floor((length * 8) / 5);
    if (this.#scratch.length < most) {
      this.#scratch = new Uint8Array(Math.max(most, 2 * this.#scratch.length, 256));
    }
    const n = huffmanDecode(block, start, start + length, this.#scratch);
    return latin1(this.#scratch, 0, n);
  }
}

function truncated(what: string): HpackError {
  return new HpackError(`Cannot decode header block: it ends inside ${what}`);
}

function owedUpdate(): HpackError {
  return new HpackError(
    "Cannot decode header block: the table size update owed after a lower SETTINGS_HEADER_TABLE_SIZE is missing",
  );
}

/** Latin-1 text of `bytes[start, end)`: one character per octet, never a decoding error. */
function latin1(bytes: Uint8Array, start: number, end: number): string {
  // apply() takes an array-like of numbers; chunks keep the argument count small.
  if (end - start <= 4096) {
    return String.fromCharCode.apply(null, bytes.subarray(start, end) as unknown as number[]);
  }
  let out = "";
  for (let at = start; at < end; at += 4096) {
    const chunk = bytes.subarray(at, Math.min(end, at + 4096));
    out += String.fromCharCode.apply(null, chunk as unknown as number[]);
  }
  return out;
}
