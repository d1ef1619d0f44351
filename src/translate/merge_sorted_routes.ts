/**
 * The memo's sorted route list brought up to a new snapshot without sorting
 * it all again (`translate_memo.ts`).
 * @module
 */
import type { HTTPRoute } from "../resources/http_route_types.ts";

/**
 * The routes of this snapshot in `compare` order, from the last sorted list:
 * the routes still there keep their places (a route object replaced by its
 * new version sorts the same: `compare` reads only names), the new ones are
 * sorted and merged in.
 *
 * @example
 * ```ts
 * import { mergeSorted } from "./merge_sorted_routes.ts";
 * mergeSorted({ output: [] }, [], () => 0); // []
 * ```
 */
export function mergeSorted(
  last: { output: readonly HTTPRoute[] },
  routes: readonly HTTPRoute[],
  compare: (a: HTTPRoute, b: HTTPRoute) => number,
): HTTPRoute[] {
  const keyOf = (r: HTTPRoute) => `${r.metadata.namespace ?? ""}/${r.metadata.name}`;
  const current = new Map<string, HTTPRoute>();
  for (const route of routes) current.set(keyOf(route), route);
  const kept: HTTPRoute[] = [];
  for (const route of last.output) {
    const now = current.get(keyOf(route));
    if (now === undefined) continue;
    kept.push(now);
    current.delete(keyOf(route));
  }
  // Duplicated names (never from a store) would be lost by the map: sort afresh.
  if (kept.length + current.size !== routes.length) return [...routes].sort(compare);
  const added = [...current.values()].sort(compare);
  const out: HTTPRoute[] = [];
  let i = 0;
  let j = 0;
  while (i < kept.length || j < added.length) {
    if (j >= added.length || (i < kept.length && compare(kept[i], added[j]) <= 0)) {
      out.push(kept[i++]);
    } else out.push(added[j++]);
  }
  return out;
}
