/**
 * The HTTPRoute/GRPCRoute hostname rule (`attach_routes.ts`) for kept
 * attachments: each route's candidate attachments (before the rule) by
 * listener, so a route that comes, goes or changes finds the routes of the
 * other kind it could win or lose a listener against, and a route attached
 * again finds what it loses. A listener serving one kind only costs nothing.
 * @module
 */
import type { HTTPRoute } from "../resources/http_route_types.ts";
import { compareByAgeThenName, compareByName } from "./context.ts";
import type { PendingParent } from "./attach_routes.ts";
import { HostnameIndex } from "./hostname_index.ts";
import type { CompiledRoute } from "./route_rules.ts";
import { exactList } from "../model/exact_list.ts";

/** One candidate attachment: a listener id and the route's hostnames there. */
export interface CandidateAttachment {
  listener: string;
  hostnames: string[];
}

/** What the index needs of a route: its object, compiled form and candidate attachments. */
export interface Candidate {
  route: HTTPRoute;
  compiled?: CompiledRoute;
  candidates: readonly CandidateAttachment[];
}

const isGrpc = (route: HTTPRoute) => route.kind as string === "GRPCRoute";

/**
 * The candidates of one kind on one listener: the routes (each knows its
 * hostnames there: its own `candidates`, not a copy per route here), and
 * those by hostname once a route of the other kind asked (kept while the
 * other kind is there).
 */
interface KindSide<R> {
  routes: Set<R>;
  index?: HostnameIndex<R>;
}

/** Candidates on one listener, by kind. */
interface ListenerCandidates<R> {
  http: KindSide<R>;
  grpc: KindSide<R>;
}

/** Each listener's candidates; see the module doc. */
export class KindCandidates<R extends Candidate> {
  #byListener = new Map<string, ListenerCandidates<R>>();

  /** Registers `record`'s candidate attachments. */
  add(record: R): void {
    const grpc = isGrpc(record.route);
    for (const { listener, hostnames } of record.candidates) {
      let both = this.#byListener.get(listener);
      if (both === undefined) {
        this.#byListener.set(
          listener,
          both = { http: { routes: new Set() }, grpc: { routes: new Set() } },
        );
      }
      const side = grpc ? both.grpc : both.http;
      side.routes.add(record);
      side.index?.add(record, hostnames);
    }
  }

  /** Unregisters what `add(record)` registered. */
  remove(record: R): void {
    const grpc = isGrpc(record.route);
    for (const { listener, hostnames } of record.candidates) {
      const both = this.#byListener.get(listener);
      if (both === undefined) continue;
      const [side, other] = grpc ? [both.grpc, both.http] : [both.http, both.grpc];
      side.routes.delete(record);
      side.index?.remove(record, hostnames);
      // Nothing of this kind is left to ask the other kind's index.
      if (side.routes.size === 0) other.index = undefined;
      if (both.http.routes.size === 0 && both.grpc.routes.size === 0) {
        this.#byListener.delete(listener);
      }
    }
  }

  clear(): void {
    this.#byListener.clear();
  }

  /** The routes of the other kind with a candidate on a listener of `record`'s that intersects it. */
  rivals(record: R): Set<R> {
    const out = new Set<R>();
    this.#rivalEntries(record, (other) => out.add(other));
    return out;
  }

  /**
   * The listeners `record` loses to an older route of the other kind, each
   * with the winner for messages: the last one the whole pass would find
   * (the greatest by `namespace/name`).
   */
  losses(record: R): Map<string, string> {
    const lost = new Map<string, R>();
    this.#rivalEntries(record, (other, listener) => {
      if (compareByAgeThenName(other.route, record.route) >= 0) return;
      const known = lost.get(listener);
      if (known !== undefined && compareByName(known.route, other.route) >= 0) return;
      lost.set(listener, other);
    });
    const out = new Map<string, string>();
    for (const [listener, winner] of lost) {
      out.set(listener, `${winner.route.kind} ${winner.compiled!.key}`);
    }
    return out;
  }

  #rivalEntries(record: R, found: (other: R, listener: string) => void): void {
    const grpc = isGrpc(record.route);
    for (const { listener, hostnames } of record.candidates) {
      const both = this.#byListener.get(listener);
      const others = both === undefined ? undefined : grpc ? both.http : both.grpc;
      if (others === undefined || others.routes.size === 0) continue;
      // Thousands of HTTPRoutes beside a few GRPCRoutes: looked up, not compared one by one.
      const index = others.index ??= indexOf(listener, others.routes);
      for (const hostname of hostnames) {
        index.forEachMeeting(hostname, (other) => found(other, listener));
      }
    }
  }
}

/** `routes` by the hostnames of their candidate attachments on `listener`. */
function indexOf<R extends Candidate>(listener: string, routes: ReadonlySet<R>): HostnameIndex<R> {
  const index = new HostnameIndex<R>();
  for (const route of routes) {
    for (const c of route.candidates) if (c.listener === listener) index.add(route, c.hostnames);
  }
  return index;
}

/**
 * The candidate attachments of a route's `parents`: those of its accepted
 * parents, before the rule (listener ids only: no listener state is kept).
 */
export function candidatesOf(parents: readonly PendingParent[]): CandidateAttachment[] {
  const out: CandidateAttachment[] = [];
  for (const parent of parents) {
    if (!parent.attached.accepted.ok) continue;
    for (const a of parent.attached.attachments) {
      out.push({ listener: a.listener.id, hostnames: a.hostnames });
    }
  }
  // Kept with the route's record while it stays.
  return exactList(out);
}

/** Calls `f` with each listener of `attachments` once (a route may attach to one twice). */
export function eachListenerOnce(
  attachments: readonly CandidateAttachment[],
  f: (listener: string) => void,
): void {
  for (let i = 0; i < attachments.length; i++) {
    const id = attachments[i].listener;
    let again = false;
    for (let j = 0; j < i && !again; j++) again = attachments[j].listener === id;
    if (!again) f(id);
  }
}
