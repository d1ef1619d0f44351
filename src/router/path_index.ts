/**
 * The matches of one virtual host, indexed by path so that a request only
 * evaluates the matches whose path condition can hold, while the winner is
 * exactly the one a scan in precedence order would pick.
 * @module
 */
import type { CompiledMatch } from "./compiled_match.ts";
import type { RouteRequest } from "./router.ts";
import type { LazyQuery } from "./query_params.ts";

/** A match with its position in precedence order (lower wins). */
export interface IndexedMatch<R> {
  order: number;
  compiled: CompiledMatch;
  /** What a hit returns (prebuilt, so a hit allocates nothing). */
  result: R;
}

interface PrefixNode<R> {
  entries: readonly IndexedMatch<R>[];
  /** Absent until a longer prefix passes through: most nodes are leaves. */
  children: Map<string, PrefixNode<R>> | undefined;
}

/**
 * `entry` added to `list`: a list's first entry makes a list of one. A list
 * grown by `push` from empty keeps room for 17 entries, and a host of one
 * route (the common case, thousands of hosts) has lists of one.
 */
function appended<R>(
  list: readonly IndexedMatch<R>[] | undefined,
  entry: IndexedMatch<R>,
): readonly IndexedMatch<R>[] {
  if (list === undefined || list.length === 0) return [entry];
  // A list of one or more was made here (never the shared empty one).
  (list as IndexedMatch<R>[]).push(entry);
  return list;
}

const NONE: readonly IndexedMatch<never>[] = Object.freeze([]);

/**
 * Exact paths live in a `Map`, PathPrefix matches in a trie of path segments
 * (a prefix `/a/b` sits on node `a` → `b`), regular expressions in a list
 * that every request tries. A request collects the candidate lists (its exact
 * path, every trie node along its segments, the regex list), each already in
 * precedence order, and merges them by `order`: the first candidate whose
 * remaining conditions hold is the one a linear scan would have found,
 * because every match skipped by the index fails its path condition.
 */
export class PathIndex<R> {
  // Made at the first entry of their kind: an empty Map costs 192 bytes, and
  // most hosts have one PathPrefix match and no exact or regex ones.
  #exact: Map<string, readonly IndexedMatch<R>[]> | undefined;
  readonly #root: PrefixNode<R> = { entries: NONE, children: undefined };
  #regex: readonly IndexedMatch<R>[] = NONE;

  /** Add a match; matches must be added in precedence order. */
  add(entry: IndexedMatch<R>): void {
    const { path } = entry.compiled.config;
    switch (path.type) {
      case "Exact": {
        this.#exact ??= new Map();
        this.#exact.set(path.value, appended(this.#exact.get(path.value), entry));
        return;
      }
      case "PathPrefix": {
        const prefix = entry.compiled.prefix;
        // A prefix that is not an absolute path can match no request path.
        if (prefix !== "" && !prefix.startsWith("/")) return;
        let node = this.#root;
        if (prefix !== "") {
          for (const segment of prefix.slice(1).split("/")) {
            node.children ??= new Map();
            let child = node.children.get(segment);
            if (!child) {
              child = { entries: NONE, children: undefined };
              node.children.set(segment, child);
            }
            node = child;
          }
        }
        node.entries = appended(node.entries, entry);
        return;
      }
      case "RegularExpression":
        this.#regex = appended(this.#regex, entry);
        return;
    }
  }

  /** The first match in precedence order that `request` satisfies. */
  find(request: RouteRequest, query: LazyQuery): R | undefined {
    const path = request.path;
    const exact = this.#exact?.get(path);
    const root = this.#root;
    // The common host: its matches all under `/` (one PathPrefix `/`, the
    // default), no exact or regex ones. No candidate lists to merge.
    if (exact === undefined && root.children === undefined && this.#regex.length === 0) {
      return firstAccepted(root.entries, request, query);
    }
    const lists: (readonly IndexedMatch<R>[])[] = [];
    if (exact) lists.push(exact);
    let node = root;
    if (node.entries.length > 0) lists.push(node.entries);
    // Walk the request's segments; a trailing empty segment (`/a/`) ends the walk.
    for (let start = 1; start < path.length;) {
      let end = path.indexOf("/", start);
      if (end === -1) end = path.length;
      const child = node.children?.get(path.slice(start, end));
      if (!child) break;
      node = child;
      if (node.entries.length > 0) lists.push(node.entries);
      start = end + 1;
    }
    if (this.#regex.length > 0) lists.push(this.#regex);

    if (lists.length === 1) return firstAccepted(lists[0], request, query);
    const positions = new Array<number>(lists.length).fill(0);
    while (true) {
      let best = -1;
      let bestOrder = Infinity;
      for (let i = 0; i < lists.length; i++) {
        const candidate = lists[i][positions[i]];
        if (candidate !== undefined && candidate.order < bestOrder) {
          best = i;
          bestOrder = candidate.order;
        }
      }
      if (best === -1) return undefined;
      const entry = lists[best][positions[best]++];
      if (accepts(entry, request, query)) return entry.result;
    }
  }
}

/** The result of the first entry of `list` (in precedence order) that `request` satisfies. */
function firstAccepted<R>(
  list: readonly IndexedMatch<R>[],
  request: RouteRequest,
  query: LazyQuery,
): R | undefined {
  for (let i = 0; i < list.length; i++) {
    if (accepts(list[i], request, query)) return list[i].result;
  }
  return undefined;
}

function accepts<R>(entry: IndexedMatch<R>, request: RouteRequest, query: LazyQuery): boolean {
  // Exact and prefix entries are only reached when their path holds.
  if (entry.compiled.config.path.type === "RegularExpression") {
    if (!entry.compiled.testPath(request.path)) return false;
  }
  return entry.compiled.testRest(request, query);
}
