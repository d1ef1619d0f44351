/**
 * HTTPRoute attachment that costs what changed: the attachments, statuses
 * and problems of every route are kept from one translate to the next, and
 * only the routes that are new, changed or gone are attached again. Which
 * hostnames of which listener that touched is recorded, so building the
 * ports rebuilds those virtual hosts alone (`port_config.ts`).
 *
 * A route whose attachment or compilation read an object that changed
 * (a Service, its EndpointSlices, a ReferenceGrant, its namespace's labels:
 * `dependency_keys.ts`) attaches again too. A change to the listeners as
 * routes see them (`listener_signature.ts`) starts afresh (`translate.ts`;
 * compiled routes are still reused). The Gateways serving each Service
 * (BackendTLSPolicy statuses) are counted as routes come and go. It holds
 * only where a route's outcome depends on nothing but itself, what it read
 * and the listeners: with GRPCRoutes present (an HTTPRoute and a GRPCRoute
 * on one listener settle their hostnames between them), `attach_routes.ts`
 * does the whole pass.
 * @module
 */
import type { HTTPRoute } from "../resources/http_route_types.ts";
import type { ObjectStatus } from "../model/config.ts";
import type { TranslateContext } from "./context.ts";
import {
  applyLosses,
  type AttachInputs,
  commitRoute,
  hadOurStatus,
  routeParents,
  routeStatus,
} from "./attach_routes.ts";
import {
  NO_ATTACHMENTS,
  NO_GATEWAYS,
  NO_PARENTS,
  NO_PROBLEMS,
  normalized,
  rawKey,
  type RouteRecord,
  sameAttachments,
} from "./route_record.ts";
import {
  type CandidateAttachment,
  candidatesOf,
  eachListenerOnce,
  KindCandidates,
} from "./kind_conflicts.ts";
import type { GRPCRoute } from "../resources/grpc_route_types.ts";
import type { ListenerRoutes } from "./virtual_host_sets.ts";
import { diffRoutes } from "./route_diff.ts";
import { type CompiledRoute, compileRoute } from "./route_rules.ts";
import type { ListenerState } from "./listener_state.ts";
import { DependentsIndex } from "./dependency_changes.ts";
import { InternPool } from "./intern_pool.ts";
import { PolicyAncestors } from "./backend_tls_status.ts";
import { deepFreeze } from "./deep_freeze.ts";
import { exactList } from "../model/exact_list.ts";
import { SortedChunks } from "../model/sorted_chunks.ts";
import { compareStatuses, netChanges } from "../model/status_changes.ts";
import type { RouteStatusChanges, RouteStatusVersions } from "./result_statuses.ts";

/** More changed routes than this at once: attaching all of them again is as cheap. */
const MOST_CHANGES = 512;

/** Routes to attach (again) by key, and the keys of routes gone. */
interface Batch {
  routes: Map<string, HTTPRoute>;
  removed: Set<string>;
}

/** The kept attachments; one instance lives in the memo. See the module doc. */
export class RouteAttachments implements ListenerRoutes {
  #http: readonly HTTPRoute[] | undefined;
  #grpc: readonly GRPCRoute[] = [];
  #records = new Map<string, RouteRecord>();
  /** The statuses of routes that name no Gateway of ours, HTTPRoutes first, by `namespace/name`. */
  #unattached = new SortedChunks<ObjectStatus>(compareStatuses);
  /** The statuses of the others, in the same order. */
  #attachedStatuses = new SortedChunks<ObjectStatus>(compareStatuses);
  /** Statuses that came and went this turn (not kept on a fresh start). */
  #statusesAdded: ObjectStatus[] = [];
  #statusesRemoved: ObjectStatus[] = [];
  /** Counts the updates (see `RouteStatusChanges.turn`). */
  #turn = 0;
  /** Routes by hostname by listener: the one route most have as itself, several as a list. */
  #hosts = new Map<string, Map<string, HostRoutes>>();
  /** How many kept routes are attached to each listener (each route once). */
  #attached = new Map<string, number>();
  /** Hostnames touched this turn by listener; `undefined`: every one (a fresh start). */
  #changed: Map<string, Set<string>> | undefined;
  #withProblems = new Set<RouteRecord>();
  /** The Gateways serving each Service, over the kept routes. */
  readonly ancestors = new PolicyAncestors();
  /** Route keys by what attaching and compiling them read. */
  #dependents = new DependentsIndex();
  #candidates = new KindCandidates<RouteRecord>();
  /** The lists of Gateways routes were accepted by: most routes, one of a few. */
  #gatewayLists = new InternPool();

  /** Forgets everything: the next update attaches every route. */
  reset(): void {
    this.#http = undefined;
  }

  /**
   * Brings the kept state up to the snapshot's HTTPRoutes and GRPCRoutes,
   * attaching what changed, what read one of the `changed` keys and the
   * routes of the other kind whose hostnames they meet on a listener, and
   * adds every route's problems to `ctx`.
   */
  update(
    ctx: TranslateContext,
    inputs: AttachInputs,
    routes: { http: readonly HTTPRoute[]; grpc: readonly GRPCRoute[] },
    changed: ReadonlySet<string>,
  ): void {
    this.#turn++;
    this.#statusesAdded = [];
    this.#statusesRemoved = [];
    let batch = this.#batch(routes.http, routes.grpc, changed);
    if (batch === undefined) {
      this.#clear();
      const all = [...routes.http, ...routes.grpc];
      batch = { routes: new Map(all.map((r) => [rawKey(r), normalized(r)])), removed: new Set() };
    } else {
      this.#changed = new Map();
      // Who could win or lose a listener against what goes or changes.
      for (const key of [...batch.removed, ...batch.routes.keys()]) {
        const old = this.#records.get(key);
        if (old !== undefined) this.#addRivals(batch, old);
      }
    }
    for (const key of batch.removed) {
      if (this.#remove(key) !== undefined) inputs.memo?.forgetRoute(key);
    }
    const prepared: RouteRecord[] = [];
    for (const [key, route] of batch.routes) {
      this.#remove(key);
      prepared.push(this.#prepare(ctx, inputs, route));
    }
    // Who could win or lose a listener against what comes (once: their own candidates stay).
    if (this.#changed !== undefined) {
      for (const record of [...prepared]) {
        for (const rival of this.#candidates.rivals(record)) {
          if (batch.routes.has(rival.key)) continue;
          batch.routes.set(rival.key, rival.route);
          this.#remove(rival.key);
          prepared.push(this.#prepare(ctx, inputs, rival.route));
        }
      }
    }
    for (const record of prepared) this.#commit(ctx, inputs, record);
    this.#http = routes.http;
    this.#grpc = routes.grpc;
    for (const record of this.#withProblems) ctx.problems.push(...record.problems);
  }

  /** What to attach again; `undefined`: everything (a fresh start, or too much changed). */
  #batch(
    http: readonly HTTPRoute[],
    grpc: readonly GRPCRoute[],
    changed: ReadonlySet<string>,
  ): Batch | undefined {
    if (this.#http === undefined) return undefined;
    const a = diffRoutes(this.#http, http, rawKey, MOST_CHANGES);
    const b = diffRoutes<HTTPRoute | GRPCRoute>(this.#grpc, grpc, rawKey, MOST_CHANGES);
    if (a === undefined || b === undefined) return undefined;
    const removed = new Set([...a.removed, ...b.removed]);
    let size = this.#records.size - removed.size;
    const routes = new Map<string, HTTPRoute>();
    for (const route of [...a.upserts, ...b.upserts]) {
      const key = rawKey(route);
      if (!this.#records.has(key)) size++;
      routes.set(key, normalized(route));
    }
    if (size !== http.length + grpc.length) return undefined;
    if (changed.size > 0) {
      for (const key of this.#dependents.dependentsOf(changed)) {
        if (!removed.has(key) && !routes.has(key)) routes.set(key, this.#records.get(key)!.route);
      }
    }
    return routes.size > MOST_CHANGES ? undefined : { routes, removed };
  }

  /** Adds to `batch` the kept routes of the other kind `record` meets on a listener. */
  #addRivals(batch: Batch, record: RouteRecord): void {
    for (const rival of this.#candidates.rivals(record)) {
      if (!batch.routes.has(rival.key) && !batch.removed.has(rival.key)) {
        batch.routes.set(rival.key, rival.route);
      }
    }
  }

  /** Whether the last update attached every route (nothing was kept). */
  fresh(): boolean {
    return this.#changed === undefined;
  }

  /**
   * Route statuses as `attach_routes.ts` lists them: those of routes that
   * name no Gateway of ours first, then the others, each in `namespace/name`
   * order. Versions: reading them costs nothing until they are listed.
   */
  statuses(): RouteStatusVersions {
    return { unattached: this.#unattached.snapshot(), attached: this.#attachedStatuses.snapshot() };
  }

  /** The statuses the last update added and removed; `undefined` after a fresh start. */
  statusChanges(): RouteStatusChanges | undefined {
    if (this.#changed === undefined) return undefined;
    return { turn: this.#turn, ...netChanges(this.#statusesAdded, this.#statusesRemoved) };
  }

  /** Hands each listener how many routes are attached to it (the Gateway status counts them). */
  fillAttached(listeners: readonly ListenerState[]): void {
    for (const listener of listeners) {
      const attached = this.#attached.get(listener.id);
      // Only TLSRoutes are added to `attachedRoutes`: these are counted apart.
      if (attached !== undefined) listener.keptAttachedCount = attached;
    }
  }

  hostnames(listener: string): Iterable<string> {
    return this.#hosts.get(listener)?.keys() ?? NO_HOSTNAMES;
  }

  routesAt(listener: string, hostname: string): readonly CompiledRoute[] {
    const held = this.#hosts.get(listener)?.get(hostname);
    return held === undefined ? NO_ROUTES : Array.isArray(held) ? held : [held];
  }

  changed(listener: string): ReadonlySet<string> | undefined {
    return this.#changed === undefined ? undefined : this.#changed.get(listener) ?? EMPTY;
  }

  #clear(): void {
    this.#records.clear();
    this.#unattached.clear();
    this.#attachedStatuses.clear();
    this.#hosts.clear();
    this.#attached.clear();
    this.#withProblems.clear();
    this.ancestors.clear();
    this.#candidates.clear();
    this.#dependents.clear();
    this.#changed = undefined;
  }

  /**
   * Keeps `route` with its parents (before the HTTPRoute/GRPCRoute rule),
   * its compiled form, what both read and the problems found on the way.
   */
  #prepare(ctx: TranslateContext, inputs: AttachInputs, route: HTTPRoute): RouteRecord {
    const record: RouteRecord = {
      key: rawKey(route),
      route,
      parents: NO_PARENTS,
      candidates: NO_ATTACHMENTS,
      attachments: NO_ATTACHMENTS,
      problems: NO_PROBLEMS,
      gateways: NO_GATEWAYS,
      reads: NO_READS,
    };
    const before = ctx.problems.length;
    const outer = ctx.reads;
    const reads = ctx.reads = new Set<string>();
    try {
      record.parents = routeParents(ctx, inputs, route);
      if (record.parents.length > 0) {
        record.compiled = inputs.memo
          ? inputs.memo.compileRoute(ctx, route, compileRoute, record.key)
          : compileRoute(ctx, route);
      }
    } finally {
      ctx.reads = outer;
    }
    record.reads = this.#dependents.set(record.key, reads);
    // Kept with the route, given again while it stays: its problems are its own.
    record.problems = ctx.problems.splice(before);
    record.candidates = candidatesOf(record.parents);
    this.#candidates.add(record);
    this.#records.set(record.key, record);
    return record;
  }

  /** Settles `record`'s parents and attaches it. */
  #commit(ctx: TranslateContext, inputs: AttachInputs, record: RouteRecord): void {
    const { route, compiled } = record;
    const before = ctx.problems.length;
    if (compiled === undefined) {
      // Tell the status writer to clear the entries we wrote before.
      if (hadOurStatus(route, inputs.options.controllerName)) {
        record.status = deepFreeze(routeStatus(route, []));
      }
    } else {
      // The rule rewrites `attached`: the kept candidates stay as they were.
      const parents = record.parents.map((p) => ({ ...p }));
      const lost = this.#candidates.losses(record);
      if (lost.size > 0) applyLosses(parents, lost);
      const gateways: string[] = [];
      const sink = { add: (_: CompiledRoute, gateway: string) => gateways.push(gateway) };
      const committed = commitRoute(
        ctx,
        { ...inputs, policyAncestors: sink },
        route,
        compiled,
        parents,
      );
      for (const gateway of gateways) this.ancestors.add(compiled, gateway);
      record.status = deepFreeze(committed.status);
      const attachments: CandidateAttachment[] = [];
      for (const { listener, hostnames } of committed.attachments) {
        attachments.push({ listener: listener.id, hostnames });
        this.#touch(listener.id, hostnames, (list) => list.push(compiled));
      }
      // Only counted (the Gateway status): a number per listener, not a set of route keys.
      eachListenerOnce(attachments, (id) => this.#attached.set(id, this.#count(id) + 1));
      // Kept while the route stays: at their length, not push's, and shared
      // where thousands of routes hold equal lists.
      record.gateways = gateways.length === 0
        ? NO_GATEWAYS
        : this.#gatewayLists.intern(gateways.join("\n"), Object.freeze(gateways));
      record.attachments = sameAttachments(record.candidates, attachments)
        ? record.candidates
        : exactList(attachments);
    }
    if (record.status !== undefined) {
      (compiled === undefined ? this.#unattached : this.#attachedStatuses).insert(record.status);
      if (this.#changed !== undefined) this.#statusesAdded.push(record.status);
    }
    record.parents = NO_PARENTS;
    const found = ctx.problems.splice(before);
    if (found.length > 0) record.problems = [...record.problems, ...found];
    if (record.problems.length > 0) this.#withProblems.add(record);
    else record.problems = NO_PROBLEMS;
  }

  /** Removes the route kept under `key`; the route, if there was one. */
  #remove(key: string): HTTPRoute | undefined {
    const record = this.#records.get(key);
    if (record === undefined) return undefined;
    this.#records.delete(key);
    this.#dependents.delete(key, record.reads);
    this.#candidates.remove(record);
    this.#withProblems.delete(record);
    const compiled = record.compiled;
    if (record.status !== undefined) {
      (compiled === undefined ? this.#unattached : this.#attachedStatuses).delete(record.status);
      this.#statusesRemoved.push(record.status);
    }
    if (compiled === undefined) return record.route;
    for (const gateway of record.gateways) this.ancestors.remove(compiled, gateway);
    for (const { listener, hostnames } of record.attachments) {
      this.#touch(listener, hostnames, (list) => {
        for (let i = list.length - 1; i >= 0; i--) if (list[i] === compiled) list.splice(i, 1);
      });
    }
    eachListenerOnce(record.attachments, (id) => {
      if (this.#count(id) > 1) this.#attached.set(id, this.#count(id) - 1);
      else this.#attached.delete(id);
    });
    return record.route;
  }

  #count(listener: string): number {
    return this.#attached.get(listener) ?? 0;
  }

  /** Edits the route lists of `hostnames` on `listener` and records them as changed. */
  #touch(listener: string, hostnames: string[], edit: (list: CompiledRoute[]) => void): void {
    let byHost = this.#hosts.get(listener);
    if (byHost === undefined) this.#hosts.set(listener, byHost = new Map());
    const changed = this.#changed === undefined ? undefined : setOf(this.#changed, listener);
    for (const hostname of hostnames) {
      const held = byHost.get(hostname);
      // Most hosts have one route, held as itself; a list is edited in place.
      const list = held === undefined ? [] : Array.isArray(held) ? held : [held];
      edit(list);
      if (list.length === 0) byHost.delete(hostname);
      else if (list.length === 1) byHost.set(hostname, list[0]);
      // A new list is kept at its length.
      else if (list !== held) byHost.set(hostname, exactList(list));
      changed?.add(hostname);
    }
  }
}

const EMPTY: ReadonlySet<string> = new Set();
const NO_HOSTNAMES: readonly string[] = Object.freeze([]);
const NO_ROUTES: readonly CompiledRoute[] = Object.freeze([]);
/** One hostname's routes on a listener: the one route, or a list of several. */
type HostRoutes = CompiledRoute | CompiledRoute[];
const NO_READS: readonly string[] = Object.freeze([]);

function setOf(map: Map<string, Set<string>>, key: string): Set<string> {
  let set = map.get(key);
  if (set === undefined) map.set(key, set = new Set());
  return set;
}
