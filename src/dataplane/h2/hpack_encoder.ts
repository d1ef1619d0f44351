/**
 * The HPACK encoder (RFC 7541): exported through `hpack.ts`.
 *
 * What it emits for each field, cheapest first: an indexed field for an
 * exact match in the static or the dynamic table; else a literal, naming the
 * field by index when a table has the name, with its value Huffman-coded
 * only when that is shorter (§5.2). Literals are added to the dynamic table
 * (incremental indexing) unless the field is sensitive (`authorization`,
 * `cookie`, `set-cookie`, `proxy-authorization`: never indexed, §7.1.3, so
 * no intermediary compresses them either), changes on nearly every message
 * (`content-length`, `date`, ids), or would take more than half the table.
 * @module
 */
import { huffmanEncode, huffmanLength } from "./hpack_huffman.ts";
import { DynamicTable, fieldSize, STATIC_INDEX, STATIC_LENGTH } from "./hpack_tables.ts";

/** The table size every HTTP/2 peer starts with (RFC 9113 §6.5.2). */
const INITIAL_TABLE_SIZE = 4096;
/**
 * The most table we keep per connection, whatever the peer allows: a larger
 * table compresses a little better and costs memory on every connection.
 */
const ENCODER_TABLE_LIMIT = 4096;
/** Output buffers larger than this are not kept between blocks. */
const KEPT_BUFFER_BYTES = 16384;

const SENSITIVE: ReadonlySet<string> = new Set([
  "authorization",
  "cookie",
  "set-cookie",
  "proxy-authorization",
]);

/** Fields whose values rarely repeat: indexing them would only evict fields that do. */
const VOLATILE: ReadonlySet<string> = new Set([
  "content-length",
  "date",
  "etag",
  "last-modified",
  "expires",
  "age",
  "if-modified-since",
  "if-none-match",
  "x-request-id",
  "traceparent",
  "tracestate",
  "grpc-message",
  "grpc-timeout",
  "grpc-status-details-bin",
]);

/**
 * A name in the dynamic table: the insertion number of its newest entry
 * (to name a field by index) and of the newest entry of each of its values
 * (to index a whole field).
 */
interface DynamicName {
  insertion: number;
  values: Map<string, number>;
}

/**
 * Encodes header lists into header blocks, keeping its dynamic table in
 * step with the peer's decoder: blocks must be sent in the order they were
 * encoded. Names must already be lower case (RFC 9113 §8.2.1); names and
 * values must be latin-1 (a character above U+00FF throws a `TypeError`).
 *
 * @example
 * ```ts
 * import { HpackDecoder, HpackEncoder } from "./hpack.ts";
 * const encoder = new HpackEncoder();
 * const block = encoder.encode([[":status", "200"], ["content-type", "application/grpc"]]);
 * console.log(new HpackDecoder().decode(block)); // [[":status","200"], ["content-type","application/grpc"]]
 * ```
 */
export class HpackEncoder {
  #table: DynamicTable;
  /** The dynamic table by name: see {@linkcode DynamicName}. */
  #names = new Map<string, DynamicName>();
  /** Sizes to announce at the start of the next block (§4.2): the smallest, then the last. */
  #pendingMin = -1;
  #pendingLast = -1;
  #buf = new Uint8Array(512);
  #len = 0;
  /**
   * The last `date` value and its string literal as encoded: a response's
   * date is the same for a second, and is never indexed (it changes), so
   * its Huffman coding is done once a second rather than once a response.
   */
  #dateText = "";
  #dateLiteral = new Uint8Array(0);

  /** `maxTableSize` is the peer's SETTINGS_HEADER_TABLE_SIZE when known (default 4096). */
  constructor(maxTableSize = INITIAL_TABLE_SIZE) {
    this.#table = new DynamicTable(INITIAL_TABLE_SIZE);
    this.#table.onEvict = (name, value, insertion) => {
      const entry = this.#names.get(name)!;
      if (entry.values.get(value) === insertion) entry.values.delete(value);
      // Eviction goes oldest first, so when the newest entry of a name goes, all of them have.
      if (entry.insertion === insertion) this.#names.delete(name);
    };
    this.setMaxTableSize(maxTableSize);
  }

  /** Bytes the dynamic table holds now (§4.1 sizes). */
  get tableSize(): number {
    return this.#table.size;
  }

  /**
   * Takes the peer's new SETTINGS_HEADER_TABLE_SIZE. The table we use is
   * that, capped at 4096 bytes; a change is announced by a size update at
   * the start of the next block.
   */
  setMaxTableSize(size: number): void {
    const next = Math.min(size, ENCODER_TABLE_LIMIT);
    if (next === this.#table.maxSize && this.#pendingLast === -1) return;
    this.#pendingMin = this.#pendingMin === -1 ? next : Math.min(this.#pendingMin, next);
    this.#pendingLast = next;
    this.#table.setMaxSize(next);
  }

  /** Encodes one header list into one header block (a fresh array the caller owns). */
  encode(headers: Iterable<readonly [string, string]>): Uint8Array {
    const length = this.encodeInto(headers);
    return this.#buf.slice(0, length);
  }

  /**
   * Encodes one header list into one header block at the start of
   * {@linkcode encoded} and returns its length: for a caller that copies
   * those bytes at once, without even a view of them.
   */
  encodeInto(headers: Iterable<readonly [string, string]>): number {
    // A buffer one huge block grew is not kept for the connection's life.
    if (this.#buf.length > KEPT_BUFFER_BYTES) this.#buf = new Uint8Array(512);
    this.#len = 0;
    if (this.#pendingLast !== -1) {
      if (this.#pendingMin < this.#pendingLast) this.#integer(0x20, 0x1f, this.#pendingMin);
      this.#integer(0x20, 0x1f, this.#pendingLast);
      this.#pendingMin = this.#pendingLast = -1;
    }
    try {
      for (const [name, value] of headers) this.#field(name, value);
    } catch (error) {
      // Fields before the bad one may be in our table, never in the peer's:
      // empty ours, and have the next block empty the peer's (size updates
      // to 0 and back), so both start again from nothing.
      const size = this.#table.maxSize;
      this.#table.setMaxSize(0);
      this.#table.setMaxSize(size);
      this.#pendingMin = 0;
      this.#pendingLast = size;
      throw error;
    }
    return this.#len;
  }

  /** The buffer the last {@linkcode encodeInto} wrote its block to the start of (valid until the next call). */
  get encoded(): Uint8Array {
    return this.#buf;
  }

  #field(name: string, value: string): void {
    const fixed = STATIC_INDEX.get(name);
    const exact = fixed?.values.get(value);
    if (exact !== undefined) return this.#integer(0x80, 0x7f, exact);
    const sensitive = SENSITIVE.has(name);
    const known = this.#names.get(name);
    if (known !== undefined && !sensitive) {
      const insertion = known.values.get(value);
      if (insertion !== undefined) {
        return this.#integer(0x80, 0x7f, STATIC_LENGTH + 1 + this.#table.position(insertion));
      }
    }
    const nameIndex = fixed?.index ??
      (known === undefined ? 0 : STATIC_LENGTH + 1 + this.#table.position(known.insertion));
    const index = !sensitive && !VOLATILE.has(name) &&
      2 * fieldSize(name, value) <= this.#table.maxSize;
    if (sensitive) this.#integer(0x10, 0x0f, nameIndex);
    else if (index) this.#integer(0x40, 0x3f, nameIndex);
    else this.#integer(0x00, 0x0f, nameIndex);
    if (nameIndex === 0) this.#string(name);
    if (name === "date") this.#date(value);
    else this.#string(value);
    if (index) this.#insert(name, value);
  }

  #date(value: string): void {
    if (value !== this.#dateText) {
      const start = this.#len;
      this.#string(value);
      this.#dateText = value;
      this.#dateLiteral = this.#buf.slice(start, this.#len);
      return;
    }
    const literal = this.#dateLiteral;
    this.#reserve(literal.length);
    this.#buf.set(literal, this.#len);
    this.#len += literal.length;
  }

  #insert(name: string, value: string): void {
    this.#table.add(name, value);
    const insertion = this.#table.inserted - 1;
    // Looked up after adding: the eviction it caused may have dropped the name's entry.
    const entry = this.#names.get(name);
    if (entry === undefined) {
      this.#names.set(name, { insertion, values: new Map([[value, insertion]]) });
    } else {
      entry.insertion = insertion;
      entry.values.set(value, insertion);
    }
  }

  /** An integer with an N-bit prefix (§5.1) below `flags`; `mask` is 2^N − 1. */
  #integer(flags: number, mask: number, value: number): void {
    this.#reserve(6);
    const buf = this.#buf;
    if (value < mask) {
      buf[this.#len++] = flags | value;
      return;
    }
    buf[this.#len++] = flags | mask;
    value -= mask;
    while (value >= 128) {
      buf[this.#len++] = (value & 0x7f) | 0x80;
      value = Math.floor(value / 128);
    }
    buf[this.#len++] = value;
  }

  /** A string literal (§5.2): Huffman-coded when that is shorter. */
  #string(text: string): void {
    const coded = huffmanLength(text);
    if (coded < text.length) {
      this.#integer(0x80, 0x7f, coded);
      this.#reserve(coded);
      this.#len = huffmanEncode(text, this.#buf, this.#len);
      return;
    }
    this.#integer(0x00, 0x7f, text.length);
    this.#reserve(text.length);
    const buf = this.#buf;
    let len = this.#len;
    for (let i = 0; i < text.length; i++) buf[len++] = text.charCodeAt(i);
    this.#len = len;
  }

  #reserve(bytes: number): void {
    if (this.#len + bytes <= this.#buf.length) return;
    const grown = new Uint8Array(Math.max(this.#len + bytes, 2 * this.#buf.length));
    grown.set(this.#buf.subarray(0, this.#len));
    this.#buf = grown;
  }
}
