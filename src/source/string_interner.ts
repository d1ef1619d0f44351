/**
 * One copy of each short string the objects from a source repeat. `JSON.parse`
 * makes a new string for every value, so every stored route carried its own
 * `apiVersion`, namespace, parent group and kind, backend name and, in its
 * status, our controller name and each condition's type, reason, message and
 * time: about a third of a stored route's bytes at thousands of routes.
 * Values are swapped for the first copy seen, in place, as an object arrives.
 *
 * The table is bounded: past `maxEntries` it starts again, so unique values
 * (uids, names, resource versions) cost a lookup and never pile up, while the
 * values that repeat are back in it at their next occurrence.
 *
 * @example
 * ```ts
 * import { StringInterner } from "./string_interner.ts";
 * const interner = new StringInterner();
 * const a = interner.internAll(JSON.parse('{"kind":"Gateway","list":["x"]}'));
 * const b = interner.internAll(JSON.parse('{"kind":"Gateway","list":["x"]}'));
 * a.kind === b.kind; // true, and one string in memory
 * ```
 * @module
 */

/** Longer strings are left alone: long values rarely repeat (certificates, messages of one object). */
const MAX_LENGTH = 128;

/** Canonical copies of short strings, for the objects of one source. */
export class StringInterner {
  readonly #table = new Map<string, string>();
  readonly #maxEntries: number;

  /** `maxEntries`: how many distinct strings are kept before the table starts again. */
  constructor(maxEntries = 16_384) {
    this.#maxEntries = maxEntries;
  }

  /** The copy of `value` seen first (since the table last started again). */
  intern(value: string): string {
    if (value.length > MAX_LENGTH) return value;
    const known = this.#table.get(value);
    if (known !== undefined) return known;
    if (this.#table.size >= this.#maxEntries) this.#table.clear();
    this.#table.set(value, value);
    return value;
  }

  /**
   * Interns every string value in `value`'s objects and arrays, in place
   * (keys are left as they are: V8 keeps one copy of each property name;
   * frozen objects are shared constants, left as they are).
   * Returns `value`, or its interned copy when it is a string itself.
   */
  internAll<T>(value: T): T {
    if (typeof value === "string") return this.intern(value) as T;
    // A frozen object is a shared constant (a default), not this object's own.
    if (value === null || typeof value !== "object" || Object.isFrozen(value)) return value;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) value[i] = this.internAll(value[i]);
      return value;
    }
    const record = value as Record<string, unknown>;
    for (const key in record) {
      const field = record[key];
      if (typeof field === "string") record[key] = this.intern(field);
      else if (field !== null && typeof field === "object") this.internAll(field);
    }
    return value;
  }

  /** Distinct strings in the table now. */
  get size(): number {
    return this.#table.size;
  }
}
