/**
 * What a snapshot list says of the list before it: the store makes a kind's
 * list again only when the kind changed, and knows which objects it
 * replaced, deleted and added since, so the new list carries them. A reader
 * that last saw that very list before (`since`) takes the changes from here
 * instead of walking thousands of objects side by side
 * (`translate/route_diff.ts`). A non-enumerable property of the (frozen)
 * array: copies and deep equality do not see it.
 *
 * @example
 * ```ts
 * import { listTrail, withListTrail } from "./list_trail.ts";
 * const a = { name: "a" }, b = { name: "b" };
 * const before = Object.freeze([a]);
 * const after = Object.freeze(withListTrail([a, b], { since: before, gone: [], upserts: [b] }));
 * listTrail(after)?.since === before; // true
 * ```
 * @module
 */

/** The objects gone from `since` and new in the list (a replaced object is both). */
export interface ListTrail<T> {
  /**
   * The list these changes lead from; cleared once a newer list is made,
   * so a list does not keep every list before it alive.
   */
  since: readonly T[] | undefined;
  gone: readonly T[];
  upserts: readonly T[];
}

const TRAIL: unique symbol = Symbol("listTrail");

/** `list` (not yet frozen) with `trail`; returns `list`. */
export function withListTrail<T>(list: T[], trail: ListTrail<T>): T[] {
  Object.defineProperty(list, TRAIL, { value: trail, enumerable: false });
  return list;
}

/** The trail of `list`, if it has one. */
export function listTrail<T>(list: readonly T[]): ListTrail<T> | undefined {
  return (list as { [TRAIL]?: ListTrail<T> })[TRAIL];
}
