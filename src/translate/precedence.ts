/**
 * Match precedence across every route attached to one listener hostname, in
 * the order `httproute_types.go` prescribes:
 *
 * 1. `Exact` path before any other path match;
 * 2. then `RegularExpression` paths (longer pattern first) — the spec leaves
 *    their rank to implementations; we rank them above prefixes, as nginx
 *    ranks regex locations above plain prefixes, so that a catch-all
 *    `PathPrefix /` never hides every regex route on the same host;
 * 3. then `PathPrefix`, more characters first;
 * 4. a method match before none;
 * 5. more header matches first;
 * 6. more query parameter matches first;
 * 7. the oldest route (creationTimestamp);
 * 8. route `namespace/name` alphabetically;
 * 9. rule index, then match index, within a route.
 *
 * GRPCRoute matches (never on one hostname with HTTPRoute matches, see
 * `attach_routes.ts`) replace steps 1–6 with `grpcroute_types.go`'s order:
 * more characters of matching service first, then of matching method, then
 * more header matches.
 * @module
 */
import type { MatchConfig } from "../model/config.ts";
import { compareStrings } from "./context.ts";

/** A match with what precedence needs to know of its route. */
export interface RankedMatch {
  match: MatchConfig;
  /** The route's `metadata.creationTimestamp` in ms (see `timestampMs`); -Infinity when absent. */
  createdAt: number;
  ruleIndex: number;
  matchIndex: number;
}

const PATH_RANK = { Exact: 0, RegularExpression: 1, PathPrefix: 2 } as const;

/**
 * Compares two matches: negative when `a` must be tried before `b`.
 *
 * @example
 * ```ts
 * import { compareMatches } from "./precedence.ts";
 * // compareMatches(exactFoo, prefixFoo) < 0
 * ```
 */
export function compareMatches(a: RankedMatch, b: RankedMatch): number {
  const ga = a.match.grpc;
  const gb = b.match.grpc;
  if (ga !== undefined && gb !== undefined) {
    const byCalls = gb.service - ga.service || gb.method - ga.method ||
      b.match.headers.length - a.match.headers.length;
    return byCalls || compareOrigin(a, b);
  }
  const pa = a.match.path;
  const pb = b.match.path;
  if (pa.type !== pb.type) return PATH_RANK[pa.type] - PATH_RANK[pb.type];
  if (pa.type !== "Exact" && pa.value.length !== pb.value.length) {
    return pb.value.length - pa.value.length;
  }
  const ma = a.match.method === undefined ? 1 : 0;
  const mb = b.match.method === undefined ? 1 : 0;
  if (ma !== mb) return ma - mb;
  if (a.match.headers.length !== b.match.headers.length) {
    return b.match.headers.length - a.match.headers.length;
  }
  if (a.match.queryParams.length !== b.match.queryParams.length) {
    return b.match.queryParams.length - a.match.queryParams.length;
  }
  return compareOrigin(a, b);
}

/** Steps 7–9: the older route, then by name, then rule and match order. */
function compareOrigin(a: RankedMatch, b: RankedMatch): number {
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? -1 : 1;
  const byRoute = compareStrings(a.match.route, b.match.route);
  if (byRoute !== 0) return byRoute;
  if (a.ruleIndex !== b.ruleIndex) return a.ruleIndex - b.ruleIndex;
  return a.matchIndex - b.matchIndex;
}

/**
 * Sorts matches into the order the router tries them. Stable and total, so
 * the same input always gives the same output.
 *
 * @example
 * ```ts
 * import { sortMatches } from "./precedence.ts";
 * sortMatches([]); // []
 * ```
 */
export function sortMatches(matches: readonly RankedMatch[]): MatchConfig[] {
  return [...matches].sort(compareMatches).map((r) => r.match);
}
