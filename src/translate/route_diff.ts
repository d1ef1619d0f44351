/**
 * What changed between two lists of routes: the store hands out its objects
 * in a stable order (a new version keeps its place, a new object comes last,
 * a deleted one leaves a gap), so walking both lists side by side and
 * comparing objects by identity finds the few that changed without a lookup
 * per route.
 * @module
 */
import { listTrail } from "../model/list_trail.ts";

/** The routes of the new list that are new or changed, and the keys of those gone. */
export interface RouteChanges<T> {
  /** New objects (a new route, or a new version of a known one). */
  upserts: T[];
  /** Keys of routes no longer in the list. */
  removed: string[];
}

/**
 * The changes from `before` to `after`, or `undefined` when there are more
 * than `limit` of them (rebuilding everything is then as cheap) or when a key
 * comes twice among the new objects (no store does that). A key that comes
 * both unchanged and new is not seen here: the caller compares sizes.
 *
 * @example
 * ```ts
 * import { diffRoutes } from "./route_diff.ts";
 * const a = { name: "a" }, b = { name: "b" }, b2 = { name: "b" };
 * diffRoutes([a, b], [a, b2], (r) => r.name, 10); // { upserts: [b2], removed: [] }
 * ```
 */
export function diffRoutes<T>(
  before: readonly T[],
  after: readonly T[],
  keyOf: (route: T) => string,
  limit: number,
): RouteChanges<T> | undefined {
  const walked = walkChanges(before, after, 2 * limit);
  if (walked === undefined) return undefined;
  const { gone, upserts } = walked;
  const upserted = new Set<string>();
  for (const route of upserts) {
    const key = keyOf(route);
    if (upserted.has(key)) return undefined;
    upserted.add(key);
  }
  const removed: string[] = [];
  for (const route of gone) {
    const key = keyOf(route);
    if (!upserted.has(key)) removed.push(key);
  }
  if (upserts.length + removed.length > limit) return undefined;
  return { upserts, removed };
}

/**
 * The objects of `before` that are not in `after` at their place (`gone`:
 * removed, or replaced by a new version) and the objects of `after` that are
 * new there (`upserts`), by identity; `undefined` past `limit` of them.
 * When `after` carries the changes since `before` (the store's lists do:
 * `model/list_trail.ts`), those are the answer and nothing is walked.
 *
 * @example
 * ```ts
 * import { walkChanges } from "./route_diff.ts";
 * const a = { name: "a" }, b = { name: "b" }, b2 = { name: "b" };
 * walkChanges([a, b], [a, b2], 10); // { gone: [b], upserts: [b2] }
 * ```
 */
export function walkChanges<T>(
  before: readonly T[],
  after: readonly T[],
  limit: number,
): { gone: T[]; upserts: T[] } | undefined {
  if (before === after) return { gone: [], upserts: [] };
  const trail = listTrail(after);
  if (trail !== undefined && trail.since === before) {
    if (trail.gone.length + trail.upserts.length > limit) return undefined;
    return { gone: [...trail.gone], upserts: [...trail.upserts] };
  }
  const gone: T[] = [];
  const upserts: T[] = [];
  let i = 0;
  let j = 0;
  while (i < before.length || j < after.length) {
    if (gone.length + upserts.length > limit) return undefined;
    const a = before[i];
    const b = after[j];
    if (i < before.length && j < after.length && a === b) {
      i++, j++;
    } else if (i < before.length && before[i + 1] === b && j < after.length) {
      gone.push(before[i++]); // deleted here
    } else if (j < after.length && i < before.length && after[j + 1] === a) {
      upserts.push(after[j++]); // inserted here
    } else {
      if (i < before.length) gone.push(before[i++]);
      if (j < after.length) upserts.push(after[j++]);
    }
  }
  return { gone, upserts };
}
