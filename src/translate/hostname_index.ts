/**
 * Items by hostname, found by the hostnames that intersect a given one
 * (`intersectHostname` in `hostname.ts`) with a few map lookups instead of
 * a comparison with every hostname: an exact name meets itself and the
 * wildcards over its parent domains (`*.b.c` and `*.c` for `a.b.c`), a
 * wildcard `*.s` meets those too and every name ending in `.s`. Each name
 * is indexed whole and under each of its parent domains, so those are
 * lookups. The HTTPRoute/GRPCRoute hostname rule (`kind_conflicts.ts`)
 * asks it for the routes of the other kind on a listener.
 *
 * @example
 * ```ts
 * import { HostnameIndex } from "./hostname_index.ts";
 * const index = new HostnameIndex<string>();
 * index.add("web", ["a.example.com"]);
 * index.add("any", ["*.example.com"]);
 * const found = new Set<string>();
 * index.forEachMeeting("*.example.com", (item) => found.add(item));
 * [...found].sort(); // ["any", "web"]
 * ```
 * @module
 */
import { isWildcard } from "./hostname.ts";

type Counts<T> = Map<T, number>;

/** See the module doc. */
export class HostnameIndex<T> {
  /** By the hostname itself. */
  #names = new Map<string, Counts<T>>();
  /** By each parent domain `.s` of the hostname (it ends in `.s` and is longer). */
  #under = new Map<string, Counts<T>>();

  /** Adds `item` under each of `hostnames` (an item may come several times). */
  add(item: T, hostnames: readonly string[]): void {
    for (const name of hostnames) {
      count(this.#names, name, item, 1);
      for (const parent of parents(name)) count(this.#under, parent, item, 1);
    }
  }

  /** Takes back what `add(item, hostnames)` added. */
  remove(item: T, hostnames: readonly string[]): void {
    for (const name of hostnames) {
      count(this.#names, name, item, -1);
      for (const parent of parents(name)) count(this.#under, parent, item, -1);
    }
  }

  /** Calls `found` for each item with a hostname intersecting `hostname` (maybe more than once). */
  forEachMeeting(hostname: string, found: (item: T) => void): void {
    const each = (counts: Counts<T> | undefined) => {
      if (counts !== undefined) { for (const item of counts.keys()) found(item); }
    };
    each(this.#names.get(hostname));
    // The wildcards over it (for a wildcard: those as broad or broader).
    for (const parent of parents(hostname)) each(this.#names.get(`*${parent}`));
    // The names and narrower wildcards under a wildcard.
    if (isWildcard(hostname)) each(this.#under.get(hostname.slice(1)));
  }
}

/** Each `.s` such that `name` ends in `.s` and is longer: its parent domains, as suffixes. */
function parents(name: string): string[] {
  const out: string[] = [];
  for (let at = name.indexOf(".", 1); at >= 0; at = name.indexOf(".", at + 1)) {
    out.push(name.slice(at));
  }
  return out;
}

function count<T>(map: Map<string, Counts<T>>, key: string, item: T, delta: number): void {
  let counts = map.get(key);
  if (counts === undefined) {
    if (delta < 0) return;
    map.set(key, counts = new Map());
  }
  const n = (counts.get(item) ?? 0) + delta;
  if (n > 0) counts.set(item, n);
  else counts.delete(item);
  if (counts.size === 0) map.delete(key);
}
