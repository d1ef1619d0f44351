/**
 * Every HTTPRoute and GRPCRoute of ours → compiled rules, attachments to
 * listeners and `parents` statuses. Attachment runs in two passes because
 * of a rule between the two kinds (GRPCRoute spec, `hostnames`): when an
 * HTTPRoute and a GRPCRoute attach to one listener with intersecting
 * hostnames, exactly one is accepted there, the older (then the first by
 * `namespace/name`); the other gets `Accepted: False` on that parent unless
 * another listener of it still takes the route. So every attachment is
 * computed first and committed only after the conflicts are settled.
 * @module
 */
import type { GRPCRoute } from "../resources/grpc_route_types.ts";
import type { HTTPRoute } from "../resources/http_route_types.ts";
import type { ParentReference, RouteParentStatus } from "../resources/route_types.ts";
import type { CertificateConfig, ObjectStatus, TranslateOptions } from "../model/config.ts";
import type { Snapshot } from "../model/snapshot.ts";
import { compareByAgeThenName, compareByName, type TranslateContext } from "./context.ts";
import { presentClientCertificate } from "./backend_client_certificate.ts";
import type { AncestorSink } from "./backend_tls_status.ts";
import { Reason } from "./conditions.ts";
import { grpcRouteAsHttp } from "./grpc_route.ts";
import { intersectHostname } from "./hostname.ts";
import type { ListenerState } from "./listener_state.ts";
import type { HostRoute } from "./port_config.ts";
import {
  type Attachment,
  attachToGateway,
  type OurParent,
  ourParent,
  type ParentAttachment,
} from "./route_attachment.ts";
import { type CompiledRoute, compileRoute } from "./route_rules.ts";
import { allRulesInvalid, routeParentStatus } from "./route_status.ts";
import type { TranslateMemo } from "./translate_memo.ts";

/** What the routes contribute to the result. */
export interface AttachedRoutes {
  routesByListener: Map<string, HostRoute[]>;
  statuses: ObjectStatus[];
  compiled: CompiledRoute[];
}

/** What {@linkcode attachRoutes} needs besides the context. */
export interface AttachInputs {
  snapshot: Snapshot;
  options: TranslateOptions;
  /** `namespace/name` of each of our Gateways → its listeners. */
  listenersByGateway: ReadonlyMap<string, ListenerState[]>;
  /** `namespace/name` of each ListenerSet attached to one of our Gateways → its listeners. */
  listenerSets?: ReadonlyMap<string, OurParent>;
  /** `namespace/name` of a Gateway → its backend client certificate. */
  clientCertificate: (gateway: string) => CertificateConfig | undefined;
  policyAncestors: AncestorSink;
  /** Reuses the compiled routes of an earlier translate (see `translate_memo.ts`). */
  memo?: TranslateMemo;
}

/** One parentRef of a route to a Gateway of ours, and its outcome. */
export interface PendingParent {
  ref: ParentReference;
  gatewayName: string;
  attached: ParentAttachment;
}

interface PendingRoute {
  /** HTTPRoute-shaped; `kind` tells a GRPCRoute. */
  route: HTTPRoute;
  compiled: CompiledRoute;
  parents: PendingParent[];
}

/** Attaches every route of ours; see the module documentation. */
export function attachRoutes(ctx: TranslateContext, inputs: AttachInputs): AttachedRoutes {
  const { snapshot, options } = inputs;
  const statuses: ObjectStatus[] = [];
  const pending: PendingRoute[] = [];
  const grpc = (snapshot.grpcRoutes ?? []).map((r) => grpcRouteAsHttp(withNamespace(r)));
  const http = snapshot.httpRoutes.map(withNamespace);
  const memo = inputs.memo;
  const routes = [
    ...(memo ? memo.sortRoutes(http, compareByName) : http.sort(compareByName)),
    ...grpc.sort(compareByName),
  ];
  for (const route of routes) {
    const parents = routeParents(ctx, inputs, route);
    if (parents.length === 0) {
      // Tell the status writer to clear the entries we wrote before.
      if (hadOurStatus(route, options.controllerName)) statuses.push(routeStatus(route, []));
      continue;
    }
    const compiled = memo ? memo.compileRoute(ctx, route, compileRoute) : compileRoute(ctx, route);
    pending.push({ route, compiled, parents });
  }
  settleKindConflicts(pending);
  const routesByListener = new Map<string, HostRoute[]>();
  for (const { route, compiled, parents } of pending) {
    const committed = commitRoute(ctx, inputs, route, compiled, parents);
    for (const { listener, hostnames } of committed.attachments) {
      listener.attachedRoutes.add(`${route.kind}/${compiled.key}`);
      const list = routesByListener.get(listener.id) ?? [];
      for (const hostname of hostnames) list.push({ hostname, route: compiled });
      routesByListener.set(listener.id, list);
    }
    statuses.push(committed.status);
  }
  return { routesByListener, statuses, compiled: pending.map((p) => p.compiled) };
}

/** One route's attachments and its status, once its parents are settled. */
export interface CommittedRoute {
  attachments: Attachment[];
  status: ObjectStatus;
}

/**
 * A route's parents made final: its accepted attachments, the problems of
 * the parents that did not take it, and its status.
 */
export function commitRoute(
  ctx: TranslateContext,
  inputs: AttachInputs,
  route: HTTPRoute,
  compiled: CompiledRoute,
  parents: readonly PendingParent[],
): CommittedRoute {
  const { memo, options } = inputs;
  const invalid = allRulesInvalid(compiled);
  const attachments: Attachment[] = [];
  // Mapped, not pushed: the memo and the route's status keep the list.
  const entries = parents.map(({ ref, gatewayName, attached }, index): RouteParentStatus => {
    let accepted = attached.accepted;
    if (accepted.ok && invalid) accepted = { ok: false, ...invalid };
    if (!accepted.ok) {
      const field = `spec.parentRefs[${(route.spec.parentRefs ?? []).indexOf(ref)}]`;
      ctx.problem(route, field, `Cannot attach to ${ref.kind ?? "Gateway"}: ${accepted.message}`);
    } else {
      attachments.push(...attached.attachments);
      inputs.policyAncestors.add(compiled, gatewayName);
      presentClientCertificate(compiled, inputs.clientCertificate(gatewayName));
    }
    const generation = route.metadata.generation ?? 0;
    const build = () =>
      routeParentStatus(ref, options.controllerName, accepted, compiled, generation);
    // The same compiled route means the same spec, so its nth parent is the same ref.
    const signature = memo &&
      `${index}|${accepted.ok}|${accepted.reason}|${accepted.message}|${generation}`;
    return memo ? memo.parentStatus(compiled, signature!, build) : build();
  });
  const status = () => routeStatus(route, entries);
  return {
    attachments,
    status: memo ? memo.routeStatus(compiled, entries, status) : status(),
  };
}

/**
 * The Gateways and ListenerSets of ours a route names, with their listeners
 * and what attaching through each parentRef gives, in `parentRefs` order.
 */
export function routeParents(
  ctx: TranslateContext,
  inputs: Pick<AttachInputs, "listenersByGateway" | "listenerSets">,
  route: HTTPRoute,
): PendingParent[] {
  const routeNamespace = route.metadata.namespace ?? "default";
  const parents: PendingParent[] = [];
  for (const ref of route.spec.parentRefs ?? []) {
    const our = ourParent(ref, routeNamespace, inputs.listenersByGateway, inputs.listenerSets);
    if (our === undefined) continue;
    const { gatewayName, listeners, parent } = our;
    parents.push({
      ref,
      gatewayName,
      attached: attachToGateway(ctx, route, ref, listeners, parent),
    });
  }
  return parents;
}

/**
 * Drops, per listener, the attachments of whichever of an HTTPRoute and a
 * GRPCRoute with intersecting hostnames is younger; a parent left with no
 * listener is no longer accepted.
 */
function settleKindConflicts(pending: PendingRoute[]): void {
  const byListener = new Map<string, { route: PendingRoute; hostnames: string[] }[]>();
  for (const p of pending) {
    for (const parent of p.parents) {
      if (!parent.attached.accepted.ok) continue;
      for (const a of parent.attached.attachments) {
        const list = byListener.get(a.listener.id) ?? [];
        list.push({ route: p, hostnames: a.hostnames });
        byListener.set(a.listener.id, list);
      }
    }
  }
  const losers = new Map<PendingRoute, Map<string, string>>();
  for (const [listenerId, entries] of byListener) {
    // Pairs of one kind never conflict: a listener serving only one kind
    // (thousands of HTTPRoutes, say) costs one pass, not a pass per pair.
    const grpc = entries.filter((e) => e.route.route.kind as string === "GRPCRoute");
    if (grpc.length === 0 || grpc.length === entries.length) continue;
    const http = entries.filter((e) => e.route.route.kind as string !== "GRPCRoute");
    const lose = (winner: PendingRoute, loser: PendingRoute) => {
      const lost = losers.get(loser) ?? new Map<string, string>();
      lost.set(listenerId, `${winner.route.kind} ${winner.compiled.key}`);
      losers.set(loser, lost);
    };
    // Every (x, y) then (y, x), x an HTTPRoute and y a GRPCRoute: the last
    // winner over a loser names it. The hostname check first: most pairs
    // share none, and comparing ages parses timestamps.
    for (const x of http) {
      for (const y of grpc) {
        if (!intersects(x.hostnames, y.hostnames)) continue;
        const order = compareByAgeThenName(x.route.route, y.route.route);
        if (order < 0) lose(x.route, y.route);
        else if (order > 0) lose(y.route, x.route);
      }
    }
  }
  for (const [route, lost] of losers) applyLosses(route.parents, lost);
}

/**
 * Drops from `parents` the attachments to the listeners a route lost to a
 * route of the other kind (`lost`: listener id → the winner, for messages);
 * a parent left with no listener is no longer accepted.
 */
export function applyLosses(parents: PendingParent[], lost: ReadonlyMap<string, string>): void {
  for (const parent of parents) {
    const kept = parent.attached.attachments.filter((a) => !lost.has(a.listener.id));
    if (kept.length === parent.attached.attachments.length) continue;
    const winner = lost.get(
      parent.attached.attachments.find((a) => lost.has(a.listener.id))!
        .listener.id,
    );
    parent.attached = kept.length > 0 ? { ...parent.attached, attachments: kept } : {
      accepted: {
        ok: false,
        reason: Reason.NotAllowedByListeners,
        message:
          `Hostnames conflict with the older ${winner} on every listener of Gateway ${parent.gatewayName} this parentRef selects; an HTTPRoute and a GRPCRoute cannot share a hostname on one listener`,
      },
      attachments: [],
    };
  }
}

/** Whether some hostname of `a` intersects some hostname of `b`. */
export function intersects(a: readonly string[], b: readonly string[]): boolean {
  return a.some((x) => b.some((y) => intersectHostname(x, y) !== undefined));
}

export function withNamespace<T extends HTTPRoute | GRPCRoute>(object: T): T {
  return object.metadata.namespace === undefined
    ? { ...object, metadata: { ...object.metadata, namespace: "default" } }
    : object;
}

export function hadOurStatus(route: HTTPRoute, controllerName: string): boolean {
  return (route.status?.parents ?? []).some((p) => p.controllerName === controllerName);
}

export function routeStatus(route: HTTPRoute, parents: RouteParentStatus[]): ObjectStatus {
  return {
    kind: route.kind as string === "GRPCRoute" ? "GRPCRoute" : "HTTPRoute",
    namespace: route.metadata.namespace ?? "default",
    name: route.metadata.name,
    generation: route.metadata.generation ?? 0,
    status: { parents },
  };
}
