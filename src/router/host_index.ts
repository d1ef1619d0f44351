/**
 * Host lookup whose cost depends on the number of labels in the request host,
 * never on the number of host names indexed: an exact map, and a map of
 * wildcard suffixes probed once per label of the request host. Both are
 * `LayeredMap`s, so a changed copy (`clone`) costs the changes, not the hosts.
 * @module
 */
import { LayeredMap } from "../model/layered_map.ts";

/**
 * Values keyed by host pattern: an exact host (`api.example.com`), a wildcard
 * (`*.example.com`, which matches one or more labels in place of `*`, never
 * `example.com` itself), or the catch-all (`*` or `null`). Built, then only
 * read (a changed copy comes from `clone`, which shares the entries of this
 * one and costs about the changes since). When a pattern is added twice,
 * the first value is kept.
 *
 * @example
 * ```ts
 * import { HostIndex } from "./host_index.ts";
 * const index = new HostIndex<string>();
 * index.add("*.example.com", "wildcard");
 * index.add(null, "any");
 * index.first("a.b.example.com"); // "wildcard"
 * index.first("example.com"); // "any"
 * ```
 */
export class HostIndex<T> {
  #exact = new LayeredMap<string, T>();
  /** Key: the wildcard without its `*` (`.example.com`). */
  #wildcard = new LayeredMap<string, T>();
  #any: T | undefined;
  #anySet = false;

  /** How many patterns are indexed. */
  get size(): number {
    return this.#exact.size + this.#wildcard.size + (this.#anySet ? 1 : 0);
  }

  /** A copy to change while this one stays as it is (say, served). */
  clone(): HostIndex<T> {
    const copy = new HostIndex<T>();
    copy.#exact = this.#exact.fork();
    copy.#wildcard = this.#wildcard.fork();
    copy.#any = this.#any;
    copy.#anySet = this.#anySet;
    return copy;
  }

  /** Removes the value under `pattern`. */
  delete(pattern: string | null): void {
    if (pattern === null || pattern === "*") {
      this.#any = undefined;
      this.#anySet = false;
    } else if (pattern.startsWith("*.")) this.#wildcard.delete(pattern.slice(1));
    else this.#exact.delete(pattern);
  }

  /** Index `value` under `pattern`. */
  add(pattern: string | null, value: T): void {
    if (pattern === null || pattern === "*") {
      if (!this.#anySet) {
        this.#any = value;
        this.#anySet = true;
      }
      return;
    }
    const [map, key] = pattern.startsWith("*.")
      ? [this.#wildcard, pattern.slice(1)]
      : [this.#exact, pattern];
    if (!map.has(key)) map.set(key, value);
  }

  /** The most specific value for `host`: exact, then the wildcard with most labels, then `*`. */
  first(host: string): T | undefined {
    const exact = this.#exact.get(host);
    if (exact !== undefined) return exact;
    if (this.#wildcard.size > 0) {
      // Starting at 1: the `*` of a wildcard stands for at least one non-empty label.
      for (let dot = host.indexOf(".", 1); dot !== -1; dot = host.indexOf(".", dot + 1)) {
        const value = this.#wildcard.get(host.slice(dot));
        if (value !== undefined) return value;
      }
    }
    return this.#any;
  }

  /**
   * Visit every value that applies to `host`, most specific first, until
   * `visit` returns something other than `undefined`; return that. `visit`
   * gets `a` and `b` with each value, so a caller per request can pass one
   * function made once instead of a closure made each time.
   */
  find<R, A, B>(
    host: string,
    visit: (value: T, a: A, b: B) => R | undefined,
    a: A,
    b: B,
  ): R | undefined {
    const exact = this.#exact.get(host);
    if (exact !== undefined) {
      const found = visit(exact, a, b);
      if (found !== undefined) return found;
    }
    if (this.#wildcard.size > 0) {
      for (let dot = host.indexOf(".", 1); dot !== -1; dot = host.indexOf(".", dot + 1)) {
        const value = this.#wildcard.get(host.slice(dot));
        if (value !== undefined) {
          const found = visit(value, a, b);
          if (found !== undefined) return found;
        }
      }
    }
    return this.#anySet ? visit(this.#any as T, a, b) : undefined;
  }
}
