/**
 * A list at its own length. V8 gives a list built by `push` (or `filter`)
 * room for 17 items at its first item, and keeps that room for the list's
 * life: 152 bytes of elements where one item needs 24. The pipeline keeps
 * thousands of short lists per configuration (a route's rules, a rule's
 * matches and backends, an attachment's listeners), so those kept past the
 * function that built them are copied once to their length.
 * @module
 */

/**
 * `list` copied to its length (an empty list becomes a new `[]`, which has no
 * elements store at all). The copy is a new list: use it where nothing else
 * holds the original.
 *
 * @example
 * ```ts
 * import { exactList } from "./exact_list.ts";
 * const built: string[] = [];
 * built.push("a");
 * const kept = exactList(built); // ["a"], 24 bytes of elements instead of 152
 * ```
 */
export function exactList<T>(list: T[]): T[] {
  return list.length === 0 ? [] : list.slice();
}
