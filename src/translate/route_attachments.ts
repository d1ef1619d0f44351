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
import type { ObjectStatus, Problem } from "../model/config.ts";
import type { Snapshot } from "../model/snapshot.ts";
import { compareByName, type TranslateContext } from "./context.ts";
import {
  type AttachInputs,
  commitRoute,
  hadOurStatus,
  routeParents,
  routeStatus,
  withNamespace,
} from "./attach_routes.ts";
import type { ListenerRoutes } from "./virtual_host_sets.ts";
import { diffRoutes, type RouteChanges } from "./route_diff.ts";
import { type CompiledRoute, compileRoute } from "./route_rules.ts";
import type { ListenerState } from "./listener_state.ts";
import { DependentsIndex } from "./dependency_changes.ts";
import { PolicyAncestors } from "./backend_tls_status.ts";
import { deepFreeze } from "./deep_freeze.ts";

/** More changed routes than this at once: attaching all of them again is as cheap. */
const MOST_CHANGES = 512;

/** One route as last attached. */
interface RouteRecord {
  key: string;
  route: HTTPRoute;
  /** Absent when no parentRef names a Gateway of ours. */
  compiled?: CompiledRoute;
  /** Listener id and the hostnames the route serves there, one per attachment. */
  attachments: { listener: string; hostnames: string[] }[];
  status?: ObjectStatus;
  problems: Problem[];
  /** The Gateway of each parent that accepted the route (for BackendTLSPolicy statuses). */
  gateways: string[];
}

/** Whether `attach_routes.ts`'s whole pass is needed for this snapshot (see the module doc). */
export function needsWholePass(snapshot: Snapshot): boolean {
  return (snapshot.grpcRoutes?.length ?? 0) > 0;
}

function rawKey(route: HTTPRoute): string {
  return `${route.metadata.namespace ?? "default"}/${route.metadata.name}`;
}

/** The kept attachments; one instance lives in the memo. See the module doc. */
export class RouteAttachments implements ListenerRoutes {
  #source: readonly HTTPRoute[] | undefined;
  #records = new Map<string, RouteRecord>();
  /** In `compareByName` order, as statuses are listed. */
  #sorted: RouteRecord[] = [];
  #hosts = new Map<string, Map<string, CompiledRoute[]>>();
  #attached = new Map<string, Set<string>>();
  /** Hostnames touched this turn by listener; `undefined`: every one (a fresh start). */
  #changed: Map<string, Set<string>> | undefined;
  #withProblems = new Set<RouteRecord>();
  /** The Gateways serving each Service, over the kept routes. */
  readonly ancestors = new PolicyAncestors();
  /** The last `statuses()`, until a route is added or removed. */
  #statuses: readonly ObjectStatus[] | undefined;
  /** Route keys by what attaching and compiling them read. */
  #dependents = new DependentsIndex();

  /** Forgets everything: the next update attaches every route. */
  reset(): void {
    this.#source = undefined;
  }

  /**
   * Brings the kept state up to `routes` (the snapshot's HTTPRoutes),
   * attaching what changed and what read one of the `changed` keys, and
   * adds every route's problems to `ctx`.
   */
  update(
    ctx: TranslateContext,
    inputs: AttachInputs,
    routes: readonly HTTPRoute[],
    changed: ReadonlySet<string>,
  ): void {
    let changes = this.#source === undefined
      ? undefined
      : diffRoutes(this.#source, routes, rawKey, MOST_CHANGES);
    if (changes !== undefined) {
      let size = this.#records.size - changes.removed.length;
      for (const route of changes.upserts) if (!this.#records.has(rawKey(route))) size++;
      if (size !== routes.length) changes = undefined;
    }
    if (changes !== undefined && changed.size > 0) changes = this.#withDependents(changes, changed);
    if (changes === undefined) {
      this.#clear();
      changes = { upserts: [...routes], removed: [] };
    } else {
      this.#changed = new Map();
    }
    for (const key of changes.removed) {
      const gone = this.#remove(key);
      if (gone !== undefined) {
        inputs.memo?.forgetRoute(gone.kind, gone.metadata.namespace!, gone.metadata.name);
      }
    }
    for (const route of changes.upserts) {
      this.#remove(rawKey(route));
      this.#add(ctx, inputs, withNamespace(route));
    }
    // A fresh start appended every route: one sort, not an insertion each.
    if (this.#changed === undefined) this.#sorted.sort((a, b) => compareByName(a.route, b.route));
    this.#source = routes;
    for (const record of this.#withProblems) ctx.problems.push(...record.problems);
  }

  /** `changes` and the kept routes that read one of the `changed` keys; `undefined`: too many. */
  #withDependents(
    changes: RouteChanges<HTTPRoute>,
    changed: ReadonlySet<string>,
  ): RouteChanges<HTTPRoute> | undefined {
    const dirty = this.#dependents.dependentsOf(changed);
    if (dirty.size === 0) return changes;
    if (dirty.size + changes.upserts.length > MOST_CHANGES) return undefined;
    for (const key of changes.removed) dirty.delete(key);
    for (const route of changes.upserts) dirty.delete(rawKey(route));
    const upserts = [...changes.upserts];
    for (const key of dirty) upserts.push(this.#records.get(key)!.route);
    return { upserts, removed: changes.removed };
  }

  /** Whether the last update attached every route (nothing was kept). */
  fresh(): boolean {
    return this.#changed === undefined;
  }

  /**
   * Route statuses as `attach_routes.ts` lists them: those of routes that
   * name no Gateway of ours first, then the others, each in `namespace/name` order.
   */
  statuses(): readonly ObjectStatus[] {
    if (this.#statuses !== undefined) return this.#statuses;
    const out: ObjectStatus[] = [];
    for (const record of this.#sorted) {
      if (record.status !== undefined && record.compiled === undefined) out.push(record.status);
    }
    for (const record of this.#sorted) {
      if (record.status !== undefined && record.compiled !== undefined) out.push(record.status);
    }
    return this.#statuses = out;
  }

  /** Hands each listener the routes attached to it (the Gateway status counts them). */
  fillAttached(listeners: readonly ListenerState[]): void {
    for (const listener of listeners) {
      const attached = this.#attached.get(listener.id);
      // Lent, not copied: only TLSRoutes (other keys) are added to `attachedRoutes`.
      if (attached !== undefined) listener.keptAttachedRoutes = attached;
    }
  }

  hosts(listener: string): ReadonlyMap<string, readonly CompiledRoute[]> | undefined {
    return this.#hosts.get(listener);
  }

  changed(listener: string): ReadonlySet<string> | undefined {
    return this.#changed === undefined ? undefined : this.#changed.get(listener) ?? EMPTY;
  }

  #clear(): void {
    this.#records.clear();
    this.#sorted = [];
    this.#hosts.clear();
    this.#attached.clear();
    this.#withProblems.clear();
    this.ancestors.clear();
    this.#dependents.clear();
    this.#statuses = undefined;
    this.#changed = undefined;
  }

  #add(ctx: TranslateContext, inputs: AttachInputs, route: HTTPRoute): void {
    const record: RouteRecord = {
      key: rawKey(route),
      route,
      attachments: [],
      problems: [],
      gateways: [],
    };
    this.#statuses = undefined;
    const before = ctx.problems.length;
    const outer = ctx.reads;
    const reads = ctx.reads = new Set<string>();
    try {
      this.#attach(ctx, inputs, route, record);
    } finally {
      ctx.reads = outer;
    }
    this.#dependents.set(record.key, reads);
    // Kept with the route, given again while it stays: its problems are its own.
    record.problems = ctx.problems.splice(before);
    if (record.problems.length > 0) this.#withProblems.add(record);
    this.#records.set(record.key, record);
    if (this.#changed === undefined) this.#sorted.push(record);
    else this.#sorted.splice(this.#insertionPoint(route), 0, record);
  }

  #attach(
    ctx: TranslateContext,
    inputs: AttachInputs,
    route: HTTPRoute,
    record: RouteRecord,
  ): void {
    const parents = routeParents(ctx, inputs, route);
    if (parents.length === 0) {
      // Tell the status writer to clear the entries we wrote before.
      if (hadOurStatus(route, inputs.options.controllerName)) {
        record.status = deepFreeze(routeStatus(route, []));
      }
    } else {
      const compiled = inputs.memo
        ? inputs.memo.compileRoute(ctx, route, compileRoute)
        : compileRoute(ctx, route);
      const gateways = record.gateways;
      const sink = { add: (_: CompiledRoute, gateway: string) => gateways.push(gateway) };
      const committed = commitRoute(
        ctx,
        { ...inputs, policyAncestors: sink },
        route,
        compiled,
        parents,
      );
      for (const gateway of gateways) this.ancestors.add(compiled, gateway);
      record.compiled = compiled;
      record.status = deepFreeze(committed.status);
      for (const { listener, hostnames } of committed.attachments) {
        record.attachments.push({ listener: listener.id, hostnames });
        this.#touch(listener.id, hostnames, (list) => list.push(compiled));
        setOf(this.#attached, listener.id).add(`${route.kind}/${compiled.key}`);
      }
    }
  }

  /** Removes the route kept under `key`; the route, if there was one. */
  #remove(key: string): HTTPRoute | undefined {
    const record = this.#records.get(key);
    if (record === undefined) return undefined;
    this.#records.delete(key);
    this.#dependents.delete(key);
    this.#statuses = undefined;
    this.#withProblems.delete(record);
    const at = this.#insertionPoint(record.route) - 1;
    if (this.#sorted[at] === record) this.#sorted.splice(at, 1);
    else this.#sorted = this.#sorted.filter((r) => r !== record);
    const compiled = record.compiled;
    if (compiled === undefined) return record.route;
    for (const gateway of record.gateways) this.ancestors.remove(compiled, gateway);
    for (const { listener, hostnames } of record.attachments) {
      this.#touch(listener, hostnames, (list) => {
        for (let i = list.length - 1; i >= 0; i--) if (list[i] === compiled) list.splice(i, 1);
      });
      this.#attached.get(listener)?.delete(`${record.route.kind}/${compiled.key}`);
    }
    return record.route;
  }

  /** Edits the route lists of `hostnames` on `listener` and records them as changed. */
  #touch(listener: string, hostnames: string[], edit: (list: CompiledRoute[]) => void): void {
    let byHost = this.#hosts.get(listener);
    if (byHost === undefined) this.#hosts.set(listener, byHost = new Map());
    const changed = this.#changed === undefined ? undefined : setOf(this.#changed, listener);
    for (const hostname of hostnames) {
      let list = byHost.get(hostname);
      if (list === undefined) byHost.set(hostname, list = []);
      edit(list);
      if (list.length === 0) byHost.delete(hostname);
      changed?.add(hostname);
    }
  }

  /** The index after every kept route that sorts before or with `route`. */
  #insertionPoint(route: HTTPRoute): number {
    let low = 0;
    let high = this.#sorted.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (compareByName(this.#sorted[mid].route, route) <= 0) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}

const EMPTY: ReadonlySet<string> = new Set();

function setOf(map: Map<string, Set<string>>, key: string): Set<string> {
  let set = map.get(key);
  if (set === undefined) map.set(key, set = new Set());
  return set;
}
