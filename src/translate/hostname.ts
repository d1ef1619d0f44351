/**
 * Hostname matching and intersection for listeners and routes. A wildcard
 * `*.example.com` matches any name with at least one more label
 * (`a.example.com`, `a.b.example.com`) but not `example.com` itself.
 * @module
 */

/** The virtual host key for "any host of the listener". */
export const ANY_HOST = "*";

/** Whether `name` is a wildcard hostname (`*.example.com`). */
export function isWildcard(name: string): boolean {
  return name.startsWith("*.");
}

/**
 * Whether the (possibly wildcard) `pattern` matches the exact host name `host`.
 *
 * @example
 * ```ts
 * import { hostnameMatches } from "./hostname.ts";
 * hostnameMatches("*.example.com", "a.b.example.com"); // true
 * hostnameMatches("*.example.com", "example.com"); // false
 * ```
 */
export function hostnameMatches(pattern: string, host: string): boolean {
  if (!isWildcard(pattern)) return pattern === host;
  const suffix = pattern.slice(1); // ".example.com"
  return host.length > suffix.length && host.endsWith(suffix);
}

/**
 * The intersection of two hostnames, either of which may be a wildcard, or
 * `undefined` when they share no host. The result is the more specific of the
 * two when one contains the other.
 *
 * @example
 * ```ts
 * import { intersectHostname } from "./hostname.ts";
 * intersectHostname("*.example.com", "foo.example.com"); // "foo.example.com"
 * intersectHostname("*.example.com", "*.a.example.com"); // "*.a.example.com"
 * intersectHostname("example.com", "*.example.com"); // undefined
 * ```
 */
export function intersectHostname(a: string, b: string): string | undefined {
  if (a === b) return a;
  const aWild = isWildcard(a);
  const bWild = isWildcard(b);
  if (!aWild && !bWild) return undefined;
  if (aWild && !bWild) return hostnameMatches(a, b) ? b : undefined;
  if (!aWild && bWild) return hostnameMatches(b, a) ? a : undefined;
  // Two wildcards: one contains the other when its suffix is a suffix of the other's.
  if (b.endsWith(a.slice(1))) return b;
  if (a.endsWith(b.slice(1))) return a;
  return undefined;
}

/**
 * The hostnames a route serves on a listener: the route's hostnames narrowed
 * to the listener's, the listener's hostname when the route has none, or
 * {@linkcode ANY_HOST} when neither has one. An empty result means the route
 * does not intersect the listener. Sorted most specific first, no duplicates.
 *
 * @example
 * ```ts
 * import { effectiveHostnames } from "./hostname.ts";
 * effectiveHostnames("*.example.com", ["a.example.com", "a.example.net"]); // ["a.example.com"]
 * effectiveHostnames(undefined, []); // ["*"]
 * ```
 */
export function effectiveHostnames(
  listenerHostname: string | undefined,
  routeHostnames: readonly string[] | undefined,
): string[] {
  const routes = routeHostnames ?? [];
  let result: string[];
  if (routes.length === 0) {
    result = [listenerHostname ?? ANY_HOST];
  } else if (listenerHostname === undefined) {
    result = [...routes];
  } else {
    result = [];
    for (const name of routes) {
      const common = intersectHostname(listenerHostname, name);
      if (common !== undefined) result.push(common);
    }
  }
  return [...new Set(result)].sort(compareHostnameSpecificity);
}

function labelCount(name: string): number {
  return name.split(".").length;
}

/**
 * Orders hostnames from most to least specific: exact names (alphabetically),
 * then wildcards with more labels first, then {@linkcode ANY_HOST} (or
 * `null`, a listener without hostname). A usable `Array.prototype.sort`
 * comparator.
 *
 * @example
 * ```ts
 * import { compareHostnameSpecificity } from "./hostname.ts";
 * ["*", "*.example.com", "*.a.example.com", "b.example.com"].sort(compareHostnameSpecificity);
 * // ["b.example.com", "*.a.example.com", "*.example.com", "*"]
 * ```
 */
export function compareHostnameSpecificity(a: string | null, b: string | null): number {
  const rank = (name: string | null) =>
    name === null || name === ANY_HOST ? 2 : isWildcard(name) ? 1 : 0;
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (a === null || b === null) return 0;
  if (ra === 1) {
    const byLabels = labelCount(b) - labelCount(a);
    if (byLabels !== 0) return byLabels;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}
