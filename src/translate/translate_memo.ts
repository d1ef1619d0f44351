/**
 * What one `translate` can hand the next, so a change costs about what it
 * touches: the compiled form of every HTTPRoute (keyed by the route object
 * itself, so a new version of a route is a miss), each virtual host's
 * matches in precedence order (reused while the same match objects make it
 * up), the sorted route list and the sorted rule map. Everything reused is
 * frozen already, so `deepFreeze` skips it too.
 *
 * A compiled route depends on more than its route: Services, EndpointSlices,
 * ReferenceGrants, policies, Secrets, Gateways. Compiling one records what
 * it read (`dependency_keys.ts`); a change to such an object that translate
 * can see (`sameForTranslate`) forgets the compiled routes that read it,
 * and only those (`dependency_changes.ts`). A change to the options (`now`
 * aside: no route reads it), to more than a few hundred objects of a kind at
 * once, or to a kind not known there, empties the memo. The result is the one a
 * translate from scratch gives (`tests/translate/translate_memo.test.ts`
 * checks that over random change sequences), except that problems found
 * outside a route's own compilation may come in another order.
 *
 * A memo belongs to one caller (the reconciler): results of two unrelated
 * snapshot streams would only evict each other.
 *
 * @example
 * ```ts
 * import { TranslateMemo } from "./translate_memo.ts";
 * import { translate } from "./translate.ts";
 * import { EMPTY_SNAPSHOT } from "../model/snapshot.ts";
 * const memo = new TranslateMemo();
 * const options = { controllerName: "gateway.serval.dev/controller" };
 * translate(EMPTY_SNAPSHOT, options, memo);
 * translate(EMPTY_SNAPSHOT, options, memo); // reuses what did not change
 * ```
 * @module
 */
import type { HTTPRoute } from "../resources/http_route_types.ts";
import type { ObjectStatus, Problem, RuleConfig, TranslateOptions } from "../model/config.ts";
import { type RuleMap, ruleMapOf } from "../model/rule_map.ts";
import type { RouteParentStatus } from "../resources/route_types.ts";
import type { Snapshot } from "../model/snapshot.ts";
import { sameForTranslate } from "../resources/translate_relevance.ts";
import { collectChanges, type DependencyChanges, DependentsIndex } from "./dependency_changes.ts";
import { GATEWAY_CLIENT_CERTIFICATES } from "./dependency_keys.ts";
import { SnapshotIndexes } from "./snapshot_indexes.ts";
import { InternPool } from "./intern_pool.ts";
import { objectId } from "./ids.ts";
import type { TranslateContext } from "./context.ts";
import type { CompiledRoute } from "./route_rules.ts";
import { mergeSorted } from "./merge_sorted_routes.ts";

/**
 * A compiled route, the problems its compilation reported, and its status
 * entries by what they were built from (`parentStatus`, `routeStatus`):
 * statuses that come again as the same objects let the status writer skip
 * them by identity instead of comparing thousands of statuses per change.
 * Held here, not in a map of their own, and without a map for the one
 * parent most routes have.
 */
interface RouteEntry {
  key: string;
  /** The translate that last asked for it (see `#turn`). */
  seen: number;
  route: HTTPRoute;
  compiled: CompiledRoute;
  problems: readonly Problem[];
  /** What compiling it read (`dependency_keys.ts`). */
  reads: readonly string[];
  /** The first `parents[]` entry built, and the signature it was built from. */
  parentSignature?: string;
  parent?: RouteParentStatus;
  /** Entries built from other signatures (more parents, or the outcome changed). */
  moreParents?: Map<string, RouteParentStatus>;
  /** The last status built, and the entries it was built from. */
  statusEntries?: RouteParentStatus[];
  status?: ObjectStatus;
}

/** Sorted once, reused while the same objects come in the same order. */
interface SortedEntry<T> {
  input: readonly T[];
  output: T[];
}

/** What most routes' compilation reported, shared. */
const NO_PROBLEMS: readonly Problem[] = Object.freeze([]);

/** The snapshot's kinds memoised route by route; every other kind is a dependency. */
const ROUTE_KINDS: ReadonlySet<string> = new Set(["httpRoutes", "grpcRoutes"]);

function sameElements<T>(a: readonly T[] | undefined, b: readonly T[] | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function optionsKey(options: TranslateOptions): string {
  const { now: _now, ...rest } = options;
  return JSON.stringify(rest);
}

/**
 * A route's key in the memo, `kind|namespace/name`: the kept attachments'
 * own (`route_record.ts`), so a route's entries there and here hold one string.
 */
export function routeKey(route: HTTPRoute): string {
  return `${route.kind}|${route.metadata.namespace ?? "default"}/${route.metadata.name}`;
}

/** The memo a caller keeps between translates; see the module doc. */
export class TranslateMemo {
  #dependencies = new Map<string, readonly unknown[] | undefined>();
  #options: string | undefined;
  /** Compiled routes by the keys of what they read. */
  #dependents = new DependentsIndex();
  /** What the listeners were built from last time. */
  #listenerReads: ReadonlySet<string> = new Set();
  // By `namespace/name`: a new version of a route that translate cannot tell
  // from the old (our status write came back) is compiled no more than the old.
  #routes = new Map<string, RouteEntry>();
  #turn = 0;
  #routesSeen = 0;
  #sortedRoutes: SortedEntry<HTTPRoute> | undefined;
  #hosts = new Map<string, { inputs: readonly unknown[]; output: unknown }>();
  #hostsSeen = new Set<string>();
  #rules: { ids: string[]; configs: RuleConfig[]; output: RuleMap } | undefined;
  #hits = 0;
  #misses = 0;
  // Set by a turn that attaches only the routes that changed: the others are
  // not asked for, yet still there.
  #keepUnseen = false;
  #kept: object | undefined;
  /** See `TranslateContext.lasting`. */
  readonly lasting: WeakMap<object, unknown> = new WeakMap();
  /** The context's lookup indexes, patched from one snapshot to the next. */
  readonly indexes: SnapshotIndexes = new SnapshotIndexes();
  /** Status entries equal across routes, kept once (see `parentStatus`). */
  readonly #shared = new InternPool();
  readonly #signatures = new InternPool();

  /** Compiled routes reused and compiled anew since the memo was made. */
  stats(): { hits: number; misses: number } {
    return { hits: this.#hits, misses: this.#misses };
  }

  /**
   * Starts a translate: finds what changed besides the routes, forgets the
   * compiled routes built from it (everything, when `everything`).
   */
  begin(snapshot: Snapshot, options: TranslateOptions): DependencyChanges {
    const key = optionsKey(options);
    const changes: DependencyChanges = {
      everything: key !== this.#options,
      listeners: false,
      keys: new Set(),
    };
    const lists = snapshot as unknown as Record<string, readonly unknown[] | undefined>;
    for (const kind of new Set([...this.#dependencies.keys(), ...Object.keys(lists)])) {
      if (ROUTE_KINDS.has(kind)) continue;
      const after = lists[kind];
      if (!changes.everything) {
        collectChanges(kind, this.#dependencies.get(kind) ?? [], after ?? [], changes);
      }
      this.#dependencies.set(kind, after);
    }
    for (const read of changes.keys) if (this.#listenerReads.has(read)) changes.listeners = true;
    // The listeners read the Gateways' backend client certificates, which
    // routes with TLS backends carry.
    if (changes.listeners) changes.keys.add(GATEWAY_CLIENT_CERTIFICATES);
    this.#options = key;
    this.#hostsSeen.clear();
    this.#turn++;
    this.#routesSeen = 0;
    this.#keepUnseen = false;
    if (changes.everything) {
      this.#routes.clear();
      this.#dependents.clear();
      this.#hosts.clear();
      this.#rules = undefined;
      this.#shared.clear();
      this.#signatures.clear();
    } else {
      for (const stale of this.#dependents.dependentsOf(changes.keys)) this.#forget(stale);
    }
    return changes;
  }

  /** Keeps what the listeners of this translate were built from, for the next `begin`. */
  listenersRead(reads: ReadonlySet<string>): void {
    this.#listenerReads = reads;
  }

  /**
   * `compile(ctx, route)`, or its earlier result for this very route object.
   * `key` is the route's {@linkcode routeKey}, when the caller holds it already.
   */
  compileRoute(
    ctx: TranslateContext,
    route: HTTPRoute,
    compile: (ctx: TranslateContext, route: HTTPRoute) => CompiledRoute,
    key?: string,
  ): CompiledRoute {
    // A GRPCRoute comes HTTPRoute-shaped, its kind kept: one key space for both.
    key ??= routeKey(route);
    const known = this.#routes.get(key);
    if (known !== undefined && (known.route === route || sameForTranslate(known.route, route))) {
      return this.#hit(ctx, known);
    }
    this.#misses++;
    const before = ctx.problems.length;
    const outer = ctx.reads;
    const reads = ctx.reads = new Set<string>();
    let compiled: CompiledRoute;
    try {
      compiled = compile(ctx, route);
    } finally {
      ctx.reads = outer;
    }
    if (outer !== undefined) { for (const read of reads) outer.add(read); }
    // Problems of other objects found on the way (a policy evaluated on first
    // use) belong to whoever evaluates them next time, not to this route.
    const id = objectId(route.kind, route.metadata.name, route.metadata.namespace);
    const own = ctx.problems.slice(before).filter((p) => p.object === id);
    const problems = own.length === 0 ? NO_PROBLEMS : own;
    // The index's shared list of what it read: most routes read the same few objects.
    const entry = {
      key,
      seen: this.#turn,
      route,
      compiled,
      problems,
      reads: this.#dependents.set(key, reads, known?.reads),
    };
    this.#routesSeen++;
    this.#routes.set(key, entry);
    return compiled;
  }

  #hit(ctx: TranslateContext, entry: RouteEntry): CompiledRoute {
    this.#hits++;
    if (entry.seen !== this.#turn) this.#routesSeen++;
    entry.seen = this.#turn;
    for (const problem of entry.problems) ctx.problems.push(problem);
    if (ctx.reads !== undefined) { for (const read of entry.reads) ctx.reads.add(read); }
    return entry.compiled;
  }

  /**
   * A `parents[]` entry of `compiled`'s route, or the one built before from
   * the same `signature` (everything the entry is built from besides the
   * compiled route, as a string); a new one is an equal entry of another
   * route where there is one (entries are frozen with the result).
   */
  parentStatus(
    compiled: CompiledRoute,
    signature: string,
    build: () => RouteParentStatus,
  ): RouteParentStatus {
    const entry = this.#entryOf(compiled);
    if (entry === undefined) return build();
    if (entry.parentSignature === signature) return entry.parent!;
    const known = entry.moreParents?.get(signature);
    if (known !== undefined) return known;
    // Most routes' entries are equal to many others' (same parent, same outcome).
    const fresh = build();
    const built = this.#shared.intern(JSON.stringify(fresh), fresh);
    if (entry.parentSignature === undefined) {
      // Kept as one string per distinct signature, not one per route.
      entry.parentSignature = this.#signatures.intern(signature, signature);
      entry.parent = built;
    } else (entry.moreParents ??= new Map()).set(signature, built);
    return built;
  }

  /** `compiled`'s route status, or the one built before from the same `entries` objects. */
  routeStatus(
    compiled: CompiledRoute,
    entries: RouteParentStatus[],
    build: () => ObjectStatus,
  ): ObjectStatus {
    const entry = this.#entryOf(compiled);
    if (entry === undefined) return build();
    if (entry.status !== undefined && sameElements(entry.statusEntries, entries)) {
      return entry.status;
    }
    entry.statusEntries = entries;
    return entry.status = build();
  }

  /**
   * The entry `compiled` was kept in, found by its route's key: a few
   * statuses are built per change, and a map by route object (thousands of
   * entries) cost more memory than building their keys again.
   */
  #entryOf(compiled: CompiledRoute): RouteEntry | undefined {
    const entry = this.#routes.get(routeKey(compiled.route));
    return entry?.compiled === compiled ? entry : undefined;
  }

  /**
   * `routes` sorted by `compare`: the earlier order with the objects of this
   * snapshot when the same names come again, else a fresh sort.
   */
  sortRoutes(routes: readonly HTTPRoute[], compare: (a: HTTPRoute, b: HTTPRoute) => number) {
    const last = this.#sortedRoutes;
    if (last !== undefined && sameElements(last.input, routes)) return last.output;
    const output = last === undefined
      ? [...routes].sort(compare)
      : mergeSorted(last, routes, compare);
    this.#sortedRoutes = { input: routes, output };
    return output;
  }

  /**
   * A virtual host built from `inputs` (compared element by element), or the
   * one built before from the same inputs under `key`.
   */
  virtualHost<T>(key: string, inputs: readonly unknown[], build: () => T): T {
    this.#hostsSeen.add(key);
    const known = this.#hosts.get(key);
    if (known !== undefined && sameElements(known.inputs, inputs)) return known.output as T;
    const output = build();
    this.#hosts.set(key, { inputs, output });
    return output;
  }

  /**
   * What `translate` keeps with this memo besides compiled routes (made by
   * `make` on first use); one caller, one shape.
   */
  kept<T extends object>(make: () => T): T {
    return (this.#kept ??= make()) as T;
  }

  /**
   * This turn asks only for the routes that changed; the others stay (see
   * {@linkcode forgetRoute} for those that went).
   */
  keepUnseenRoutes(): void {
    this.#keepUnseen = true;
  }

  /** Forgets the compiled route under `key` (its {@linkcode routeKey}: it is gone). */
  forgetRoute(key: string): void {
    this.#forget(key);
  }

  #forget(key: string): void {
    const entry = this.#routes.get(key);
    if (entry === undefined) return;
    this.#routes.delete(key);
    this.#dependents.delete(key, entry.reads);
  }

  /** Ends a translate: forgets the routes and virtual hosts it did not see (gone). */
  end(): void {
    evictUnseen(this.#hosts, this.#hostsSeen);
    if (!this.#keepUnseen && this.#routesSeen !== this.#routes.size) {
      for (const [key, entry] of this.#routes) {
        if (entry.seen !== this.#turn) this.#forget(key);
      }
    }
  }

  /** `rules` as a map (added in sorted order); the earlier map when the same rules come in the same order. */
  sortedRules(
    rules: ReadonlyMap<string, RuleConfig>,
    compare: (a: string, b: string) => number,
  ): RuleMap {
    const ids = [...rules.keys()];
    const configs = [...rules.values()];
    const last = this.#rules;
    if (last !== undefined && sameElements(last.ids, ids) && sameElements(last.configs, configs)) {
      return last.output;
    }
    const output = ruleMapOf([...ids].sort(compare).map((id) => [id, rules.get(id)!] as const));
    this.#rules = { ids, configs, output };
    return output;
  }
}

function evictUnseen(map: Map<string, unknown>, seen: ReadonlySet<string>): void {
  if (seen.size === map.size) return;
  for (const key of map.keys()) if (!seen.has(key)) map.delete(key);
}
