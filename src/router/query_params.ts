/**
 * Query parameters as the router sees them.
 * @module
 */

/**
 * The first value of each query parameter of a raw query string (without `?`).
 *
 * Gateway API leaves repeated parameters undefined and recommends the first
 * value; we follow that: `?a=1&a=2` matches `a=1`, never `a=2`. Names and
 * values are decoded as `application/x-www-form-urlencoded` (`+` is a space,
 * `%41` is `A`; a malformed escape is kept as written). Names are
 * case-sensitive. A parameter without `=` has the empty value.
 *
 * @example
 * ```ts
 * import { firstQueryValues } from "./query_params.ts";
 * firstQueryValues("animal=whale&animal=dolphin").get("animal"); // "whale"
 * ```
 */
export function firstQueryValues(query: string): Map<string, string> {
  const values = new Map<string, string>();
  if (query === "") return values;
  for (const [name, value] of new URLSearchParams(query)) {
    if (!values.has(name)) values.set(name, value);
  }
  return values;
}

/**
 * Parses a query string on first use only: most requests reach a route that
 * has no query matches and never pay for parsing.
 */
export class LazyQuery {
  #raw: string;
  #values: Map<string, string> | undefined;
  constructor(raw: string) {
    this.#raw = raw;
  }
  /** The first value of `name`, or `undefined`. */
  get(name: string): string | undefined {
    this.#values ??= firstQueryValues(this.#raw);
    return this.#values.get(name);
  }
}
