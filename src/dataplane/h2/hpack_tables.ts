/**
 * The two tables of HPACK (RFC 7541 §2.3): the static table of Appendix A,
 * and the dynamic table, a ring buffer of the most recent fields whose size
 * is counted as §4.1 says (name bytes + value bytes + 32 a field), so its
 * memory is bounded by its byte size whatever the peer sends.
 *
 * Names and values are latin-1 strings: one character, one octet.
 * @module
 */

/** The static table of RFC 7541 Appendix A; entry `i` is index `i + 1`. */
export const STATIC_TABLE: readonly (readonly [string, string])[] = [
  [":authority", ""],
  [":method", "GET"],
  [":method", "POST"],
  [":path", "/"],
  [":path", "/index.html"],
  [":scheme", "http"],
  [":scheme", "https"],
  [":status", "200"],
  [":status", "204"],
  [":status", "206"],
  [":status", "304"],
  [":status", "400"],
  [":status", "404"],
  [":status", "500"],
  ["accept-charset", ""],
  ["accept-encoding", "gzip, deflate"],
  ["accept-language", ""],
  ["accept-ranges", ""],
  ["accept", ""],
  ["access-control-allow-origin", ""],
  ["age", ""],
  ["allow", ""],
  ["authorization", ""],
  ["cache-control", ""],
  ["content-disposition", ""],
  ["content-encoding", ""],
  ["content-language", ""],
  ["content-length", ""],
  ["content-location", ""],
  ["content-range", ""],
  ["content-type", ""],
  ["cookie", ""],
  ["date", ""],
  ["etag", ""],
  ["expect", ""],
  ["expires", ""],
  ["from", ""],
  ["host", ""],
  ["if-match", ""],
  ["if-modified-since", ""],
  ["if-none-match", ""],
  ["if-range", ""],
  ["if-unmodified-since", ""],
  ["last-modified", ""],
  ["link", ""],
  ["location", ""],
  ["max-forwards", ""],
  ["proxy-authenticate", ""],
  ["proxy-authorization", ""],
  ["range", ""],
  ["referer", ""],
  ["refresh", ""],
  ["retry-after", ""],
  ["server", ""],
  ["set-cookie", ""],
  ["strict-transport-security", ""],
  ["transfer-encoding", ""],
  ["user-agent", ""],
  ["vary", ""],
  ["via", ""],
  ["www-authenticate", ""],
];

/** Number of static entries; dynamic indices start right after it. */
export const STATIC_LENGTH = 61;

/** Bytes a field counts toward a table or a header list (RFC 7541 §4.1). */
export function fieldSize(name: string, value: string): number {
  return name.length + value.length + 32;
}

/** A name of the static table: its first index, and the index of each value it has. */
export interface StaticName {
  index: number;
  values: ReadonlyMap<string, number>;
}

/**
 * The static table by name, for the encoder. Two levels rather than one
 * map keyed by name and value joined: callers pass the same string objects
 * again and again, whose hashes V8 keeps, where a joined key would be a new
 * string to build and hash for every field.
 */
export const STATIC_INDEX: ReadonlyMap<string, StaticName> = (() => {
  const byName = new Map<string, { index: number; values: Map<string, number> }>();
  STATIC_TABLE.forEach(([name, value], i) => {
    const entry = byName.get(name) ?? { index: i + 1, values: new Map() };
    entry.values.set(value, i + 1);
    byName.set(name, entry);
  });
  return byName;
})();

/**
 * The dynamic table (RFC 7541 §2.3.2, §4): newest entry first. Every entry
 * also has an insertion number (`inserted` counts them), which stays the
 * same while newer entries push it down the index space; the encoder uses
 * it to find entries by name without rebuilding maps on each insertion.
 *
 * @example
 * ```ts
 * import { DynamicTable } from "./hpack_tables.ts";
 * const table = new DynamicTable(4096);
 * table.add("custom-key", "custom-header");
 * console.log(table.name(0), table.value(0), table.size); // custom-key custom-header 55
 * ```
 */
export class DynamicTable {
  #names: string[] = new Array(8);
  #values: string[] = new Array(8);
  #notes: (string | undefined)[] = new Array(8);
  #mask = 7;
  #head = 0; // slot of the oldest entry
  #count = 0;
  #size = 0;
  #maxSize: number;
  #inserted = 0;
  /** Called with each evicted entry's insertion number, oldest first. */
  onEvict: ((name: string, value: string, insertion: number) => void) | undefined;

  constructor(maxSize: number) {
    this.#maxSize = maxSize;
  }

  /** Entries in the table. */
  get length(): number {
    return this.#count;
  }

  /** Bytes the entries count for (§4.1). */
  get size(): number {
    return this.#size;
  }

  /** The largest `size` allowed now. */
  get maxSize(): number {
    return this.#maxSize;
  }

  /** Insertions since the table was made; the newest entry's insertion number is this minus one. */
  get inserted(): number {
    return this.#inserted;
  }

  /** Name of entry `i` (0 is the newest); `i` must be below `length`. */
  name(i: number): string {
    return this.#names[(this.#head + this.#count - 1 - i) & this.#mask];
  }

  /** Value of entry `i` (0 is the newest); `i` must be below `length`. */
  value(i: number): string {
    return this.#values[(this.#head + this.#count - 1 - i) & this.#mask];
  }

  /** What the caller noted with entry `i` when adding it (0 is the newest); `i` must be below `length`. */
  note(i: number): string | undefined {
    return this.#notes[(this.#head + this.#count - 1 - i) & this.#mask];
  }

  /**
   * Position (0 is the newest) of the entry with insertion number
   * `insertion`, or -1 when it has been evicted.
   */
  position(insertion: number): number {
    const i = this.#inserted - 1 - insertion;
    return i >= 0 && i < this.#count ? i : -1;
  }

  /**
   * Inserts a field as the newest entry, evicting the oldest until it fits
   * (§4.4); a field larger than the whole table empties it and is not kept.
   * `note` is kept with it (the decoder's verdict on the field, so a field
   * indexed again and again is checked once).
   */
  add(name: string, value: string, note?: string): void {
    const size = fieldSize(name, value);
    if (size > this.#maxSize) {
      this.#evictTo(0);
      this.#inserted++;
      return;
    }
    this.#evictTo(this.#maxSize - size);
    this.#inserted++;
    if (this.#count === this.#mask + 1) this.#grow();
    const slot = (this.#head + this.#count) & this.#mask;
    this.#names[slot] = name;
    this.#values[slot] = value;
    this.#notes[slot] = note;
    this.#count++;
    this.#size += size;
  }

  /** Changes the maximum size, evicting the oldest entries until the table fits (§4.3). */
  setMaxSize(maxSize: number): void {
    this.#maxSize = maxSize;
    this.#evictTo(maxSize);
  }

  #evictTo(target: number): void {
    while (this.#size > target) {
      const slot = this.#head;
      const name = this.#names[slot];
      const value = this.#values[slot];
      this.#size -= fieldSize(name, value);
      this.onEvict?.(name, value, this.#inserted - this.#count);
      this.#names[slot] = this.#values[slot] = "";
      this.#notes[slot] = undefined;
      this.#head = (slot + 1) & this.#mask;
      this.#count--;
    }
  }

  #grow(): void {
    const capacity = (this.#mask + 1) * 2;
    const names: string[] = new Array(capacity);
    const values: string[] = new Array(capacity);
    const notes: (string | undefined)[] = new Array(capacity);
    for (let i = 0; i < this.#count; i++) {
      names[i] = this.#names[(this.#head + i) & this.#mask];
      values[i] = this.#values[(this.#head + i) & this.#mask];
      notes[i] = this.#notes[(this.#head + i) & this.#mask];
    }
    this.#names = names;
    this.#values = values;
    this.#notes = notes;
    this.#mask = capacity - 1;
    this.#head = 0;
  }
}
