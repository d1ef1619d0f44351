/**
 * One route as `route_attachments.ts` keeps it from one translate to the
 * next, and the pieces most records share: thousands of routes hold no
 * problems and are attached exactly where they were candidates.
 * @module
 */
import type { HTTPRoute } from "../resources/http_route_types.ts";
import type { GRPCRoute } from "../resources/grpc_route_types.ts";
import type { ObjectStatus, Problem } from "../model/config.ts";
import { type PendingParent, withNamespace } from "./attach_routes.ts";
import type { Candidate, CandidateAttachment } from "./kind_conflicts.ts";
import { grpcRouteAsHttp } from "./grpc_route.ts";
import type { CompiledRoute } from "./route_rules.ts";

/** One route as last attached. */
export interface RouteRecord extends Candidate {
  key: string;
  /** HTTPRoute-shaped; `kind` tells a GRPCRoute. */
  route: HTTPRoute;
  /** Absent when no parentRef names a Gateway of ours. */
  compiled?: CompiledRoute;
  /**
   * Its parents before the HTTPRoute/GRPCRoute rule, from `#prepare` to
   * `#commit` (they hold the listener states of one translate).
   */
  parents: readonly PendingParent[];
  /**
   * Listener id and the hostnames the route serves there, one per attachment:
   * most often its candidates, and then the same list.
   */
  attachments: readonly CandidateAttachment[];
  status?: ObjectStatus;
  problems: readonly Problem[];
  /** The Gateway of each parent that accepted the route (for BackendTLSPolicy statuses). */
  gateways: readonly string[];
  /** What attaching and compiling it read, as the kept index's shared list (`dependency_changes.ts`). */
  reads: readonly string[];
}

/** A route's key in the kept state, `kind|namespace/name`: the memo's `routeKey` too. */
export function rawKey(route: HTTPRoute | GRPCRoute): string {
  return `${route.kind}|${route.metadata.namespace ?? "default"}/${route.metadata.name}`;
}

/** A snapshot's route as attachment takes it: namespaced, a GRPCRoute HTTPRoute-shaped. */
export function normalized(route: HTTPRoute | GRPCRoute): HTTPRoute {
  return route.kind === "GRPCRoute" ? grpcRouteAsHttp(withNamespace(route)) : withNamespace(route);
}

// What most records hold, shared (records are kept while their route stays).
export const NO_PARENTS: readonly PendingParent[] = Object.freeze([]);
export const NO_ATTACHMENTS: readonly CandidateAttachment[] = Object.freeze([]);
export const NO_PROBLEMS: readonly Problem[] = Object.freeze([]);
export const NO_GATEWAYS: readonly string[] = Object.freeze([]);

/** Whether the route was attached exactly where it was a candidate. */
export function sameAttachments(
  a: readonly CandidateAttachment[],
  b: readonly CandidateAttachment[],
): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i].listener !== b[i].listener || a[i].hostnames !== b[i].hostnames) return false;
  }
  return true;
}
