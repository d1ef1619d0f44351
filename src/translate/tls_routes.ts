/**
 * TLSRoutes → statuses and, per TLS listener, the SNI hostnames they serve.
 * A TLSRoute attaches only to listeners of protocol TLS (either mode), which
 * list TLSRoute among their kinds; its hostnames intersect the listener's as
 * an HTTPRoute's do. Its one rule's backendRefs are resolved like an
 * HTTPRoute's (ReferenceGrants from TLSRoutes): an unresolvable one keeps
 * its weight as a share of connections that are closed, as the spec asks.
 * @module
 */
import type { RouteParentStatus } from "../resources/route_types.ts";
import type { TLSRoute } from "../resources/tls_route_types.ts";
import type { BackendConfig, ObjectStatus, RuleConfig } from "../model/config.ts";
import type { TranslateContext } from "./context.ts";
import { compareByAgeThenName, compareStrings } from "./context.ts";
import { type Outcome, Reason } from "./conditions.ts";
import { resolveBackend } from "./backend.ts";
import { ruleId } from "./ids.ts";
import type { ListenerState } from "./listener_state.ts";
import { attachToGateway, type OurParent, ourParent } from "./route_attachment.ts";
import { routeParentStatus } from "./route_status.ts";

/** A TLSRoute serving one SNI hostname on one listener. */
export interface TlsHostRoute {
  hostname: string;
  /** `<ns>/<name>`. */
  route: string;
  rule: RuleConfig;
}

/** What {@linkcode attachTlsRoutes} produces. */
export interface TlsRoutesResult {
  /** The TLSRoutes' statuses, by name. */
  statuses: ObjectStatus[];
  /** By listener id, oldest route first (the first to claim a hostname keeps it). */
  hostsByListener: Map<string, TlsHostRoute[]>;
}

interface CompiledTlsRoute {
  key: string;
  rule: RuleConfig;
  resolvedRefs: Outcome & { ok: boolean };
  invalidRules: never[];
}

/**
 * Attaches every TLSRoute to the listeners of our Gateways (`listenersByGateway`,
 * keyed `namespace/name`) and records the listeners' attached routes.
 */
export function attachTlsRoutes(
  ctx: TranslateContext,
  routes: readonly TLSRoute[],
  listenersByGateway: ReadonlyMap<string, ListenerState[]>,
  controllerName: string,
  listenerSets?: ReadonlyMap<string, OurParent>,
): TlsRoutesResult {
  const statuses: ObjectStatus[] = [];
  const hostsByListener = new Map<string, TlsHostRoute[]>();
  const sorted = routes.map(withNamespace).sort(compareByAgeThenName);
  for (const route of sorted) {
    const routeNamespace = route.metadata.namespace!;
    const parentRefs = route.spec.parentRefs ?? [];
    const ours = parentRefs.flatMap((ref) => {
      const parent = ourParent(ref, routeNamespace, listenersByGateway, listenerSets);
      return parent ? [{ ref, listeners: parent.listeners, parent: parent.parent }] : [];
    });
    const generation = route.metadata.generation ?? 0;
    if (ours.length === 0) {
      const hadOurs = (route.status?.parents ?? []).some((p) =>
        p.controllerName === controllerName
      );
      // Tell the status writer to clear the entries we wrote before.
      if (hadOurs) statuses.push(tlsRouteStatus(route, generation, []));
      continue;
    }
    const compiled = compileTlsRoute(ctx, route);
    const parents: RouteParentStatus[] = [];
    for (const { ref, listeners, parent } of ours) {
      const attached = attachToGateway(ctx, route, ref, listeners, parent);
      if (!attached.accepted.ok) {
        ctx.problem(
          route,
          `spec.parentRefs[${parentRefs.indexOf(ref)}]`,
          `Cannot attach to Gateway: ${attached.accepted.message}`,
        );
      }
      for (const { listener, hostnames } of attached.attachments) {
        listener.attachedRoutes.add(`tlsroute/${compiled.key}`);
        const list = hostsByListener.get(listener.id) ?? [];
        for (const hostname of hostnames) {
          list.push({ hostname, route: compiled.key, rule: compiled.rule });
        }
        hostsByListener.set(listener.id, list);
      }
      parents.push(routeParentStatus(ref, controllerName, attached.accepted, compiled, generation));
    }
    statuses.push(tlsRouteStatus(route, generation, parents));
  }
  statuses.sort((a, b) =>
    compareStrings(a.namespace ?? "", b.namespace ?? "") || compareStrings(a.name, b.name)
  );
  return { statuses, hostsByListener };
}

/** Resolves the route's one rule (an absent rule has no backend: every connection is closed). */
function compileTlsRoute(ctx: TranslateContext, route: TLSRoute): CompiledTlsRoute {
  const namespace = route.metadata.namespace ?? "default";
  const name = route.metadata.name;
  const backends: BackendConfig[] = [];
  const failures: Outcome[] = [];
  let invalidWeight = 0;
  (route.spec.rules?.[0]?.backendRefs ?? []).forEach((ref, i) => {
    const weight = ref.weight ?? 1;
    const resolution = resolveBackend(ctx, route, ref);
    if (!resolution.ok) {
      failures.push(resolution);
      ctx.problem(route, `spec.rules[0].backendRefs[${i}]`, resolution.message);
      invalidWeight += weight;
      return;
    }
    if (weight > 0) backends.push({ ...resolution.backend, filters: [] });
  });
  return {
    key: `${namespace}/${name}`,
    rule: { id: ruleId(namespace, name, 0, "TLSRoute"), filters: [], backends, invalidWeight },
    resolvedRefs: failures.length > 0
      ? {
        ok: false,
        reason: failures[0].reason,
        message: failures.map((f) => f.message).join("; "),
      }
      : { ok: true, reason: Reason.ResolvedRefs, message: "All references are resolved" },
    invalidRules: [],
  };
}

function withNamespace(route: TLSRoute): TLSRoute {
  return route.metadata.namespace === undefined
    ? { ...route, metadata: { ...route.metadata, namespace: "default" } }
    : route;
}

function tlsRouteStatus(
  route: TLSRoute,
  generation: number,
  parents: RouteParentStatus[],
): ObjectStatus {
  return {
    kind: "TLSRoute",
    namespace: route.metadata.namespace ?? "default",
    name: route.metadata.name,
    generation,
    status: { parents },
  };
}
