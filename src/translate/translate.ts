/**
 * `translate`: the pure function at the heart of the gateway. A snapshot of
 * Gateway API and core objects in; the data-plane config, the certificates,
 * the status of every object we own and the problems found, out. No I/O, no
 * clock (`options.now`), no logging, no globals; deterministic ordering; the
 * result is deeply frozen.
 * @module
 */
import type { Gateway } from "../resources/gateway_types.ts";
import type { HTTPRoute } from "../resources/http_route_types.ts";
import type { RouteParentStatus } from "../resources/route_types.ts";
import type {
  ObjectStatus,
  RuleConfig,
  TranslateOptions,
  TranslateResult,
} from "../model/config.ts";
import type { Snapshot } from "../model/snapshot.ts";
import {
  compareByAgeThenName,
  compareByName,
  compareStrings,
  createContext,
  namespacedName,
} from "./context.ts";
import { deepFreeze } from "./deep_freeze.ts";
import { evaluateGatewayClasses } from "./gateway_class.ts";
import { addressOutcomes, gatewayStatus, unservableGateways } from "./gateway.ts";
import { gatewayKey } from "./address_assignment.ts";
import { evaluateListeners } from "./listener.ts";
import type { ListenerState } from "./listener_state.ts";
import { markConflictsAcrossGateways } from "./listener_conflicts.ts";
import { buildPorts, type HostRoute } from "./port_config.ts";
import { attachToGateway, isGatewayRef } from "./route_attachment.ts";
import { type CompiledRoute, compileRoute } from "./route_rules.ts";
import { allRulesInvalid, routeParentStatus } from "./route_status.ts";
import { backendTlsPolicyStatuses, PolicyAncestors } from "./backend_tls_status.ts";
import {
  type GatewayClientCertificate,
  gatewayClientCertificate,
  presentClientCertificate,
} from "./backend_client_certificate.ts";

export type { TranslateOptions, TranslateResult } from "../model/config.ts";
export type { Snapshot } from "../model/snapshot.ts";

/**
 * Translates a snapshot into the gateway's config and statuses. User
 * mistakes become status conditions and `problems`; it throws only on a bug.
 *
 * @example
 * ```ts
 * import { translate } from "./translate.ts";
 * import { EMPTY_SNAPSHOT } from "../model/snapshot.ts";
 * const result = translate(EMPTY_SNAPSHOT, { controllerName: "gateway.serval.dev/controller" });
 * result.config.ports; // []
 * ```
 */
export function translate(snapshot: Snapshot, options: TranslateOptions): TranslateResult {
  const ctx = createContext(snapshot, options);
  const classes = evaluateGatewayClasses(ctx);

  const gateways = snapshot.gateways
    .map(withNamespace)
    .filter((g) => classes.accepted.has(g.spec.gatewayClassName))
    .sort(compareByAgeThenName);
  const listenersByGateway = new Map<string, ListenerState[]>();
  const clientCertificates = new Map<string, GatewayClientCertificate>();
  const allListeners: ListenerState[] = [];
  for (const gateway of gateways) {
    const states = evaluateListeners(ctx, gateway);
    listenersByGateway.set(namespacedName(withNamespace(gateway)), states);
    clientCertificates.set(namespacedName(gateway), gatewayClientCertificate(ctx, gateway));
    allListeners.push(...states);
  }
  const addresses = addressOutcomes(gateways, options);
  const pool = options.addressPool !== undefined;
  // With a pool no two Gateways share an address, so only listeners of one
  // Gateway can compete for a socket.
  if (!pool) markConflictsAcrossGateways(ctx, allListeners);
  const unservable = unservableGateways(ctx, gateways, addresses);

  const routesByListener = new Map<string, HostRoute[]>();
  const routeStatuses: ObjectStatus[] = [];
  const rules: Record<string, RuleConfig> = {};
  const routes = [...snapshot.httpRoutes].map(withNamespace).sort(compareByName);
  const compiledRoutes: CompiledRoute[] = [];
  const policyAncestors = new PolicyAncestors();
  for (const route of routes) {
    const routeNamespace = route.metadata.namespace ?? "default";
    const ours = (route.spec.parentRefs ?? []).flatMap((ref) => {
      if (!isGatewayRef(ref)) return [];
      const listeners = listenersByGateway.get(`${ref.namespace ?? routeNamespace}/${ref.name}`);
      return listeners ? [{ ref, listeners }] : [];
    });
    const generation = route.metadata.generation ?? 0;
    if (ours.length === 0) {
      if (hadOurStatus(route, options.controllerName)) {
        // Tell the status writer to clear the entries we wrote before.
        routeStatuses.push(routeObjectStatus(route, generation, []));
      }
      continue;
    }
    const compiled = compileRoute(ctx, route);
    compiledRoutes.push(compiled);
    const invalid = allRulesInvalid(compiled);
    const parents: RouteParentStatus[] = [];
    ours.forEach(({ ref, listeners }) => {
      const attached = attachToGateway(ctx, route, ref, listeners);
      const field = `spec.parentRefs[${(route.spec.parentRefs ?? []).indexOf(ref)}]`;
      let accepted = attached.accepted;
      if (accepted.ok && invalid) accepted = { ok: false, ...invalid };
      if (!accepted.ok) ctx.problem(route, field, `Cannot attach to Gateway: ${accepted.message}`);
      else {
        for (const { listener, hostnames } of attached.attachments) {
          listener.attachedRoutes.add(compiled.key);
          const list = routesByListener.get(listener.id) ?? [];
          for (const hostname of hostnames) list.push({ hostname, route: compiled });
          routesByListener.set(listener.id, list);
        }
      }
      parents.push(routeParentStatus(ref, options.controllerName, accepted, compiled, generation));
      if (accepted.ok) {
        const gatewayName = `${ref.namespace ?? routeNamespace}/${ref.name}`;
        policyAncestors.add(compiled, gatewayName);
        presentClientCertificate(compiled, clientCertificates.get(gatewayName)?.certificate);
      }
    });
    routeStatuses.push(routeObjectStatus(route, generation, parents));
  }

  const built = buildPorts(
    allListeners.filter((l) => !unservable.has(l.gateway)),
    routesByListener,
    (gateway) => addresses.get(gatewayKey(gateway))?.bindAddresses,
  );
  for (const compiled of compiledRoutes) {
    for (const rule of compiled.rules) {
      if (built.usedRules.has(rule.config.id)) rules[rule.config.id] = rule.config;
    }
  }
  const sortedRules: Record<string, RuleConfig> = {};
  for (const id of Object.keys(rules).sort(compareStrings)) sortedRules[id] = rules[id];

  const gatewayStatuses = [...gateways]
    .sort(compareByName)
    .map((g) =>
      gatewayStatus(
        g,
        listenersByGateway.get(namespacedName(g)) ?? [],
        addresses.get(gatewayKey(g))!,
        pool,
        [clientCertificates.get(namespacedName(g))?.resolvedRefs].filter((c) => c !== undefined),
      )
    );

  return deepFreeze({
    config: { ports: built.ports, rules: sortedRules },
    certificates: built.certificates,
    statuses: [
      ...classes.statuses,
      ...gatewayStatuses,
      ...routeStatuses,
      ...backendTlsPolicyStatuses(ctx, policyAncestors),
    ],
    problems: ctx.problems,
  });
}

function withNamespace<T extends Gateway | HTTPRoute>(object: T): T {
  return object.metadata.namespace === undefined
    ? { ...object, metadata: { ...object.metadata, namespace: "default" } }
    : object;
}

function hadOurStatus(route: HTTPRoute, controllerName: string): boolean {
  return (route.status?.parents ?? []).some((p) => p.controllerName === controllerName);
}

function routeObjectStatus(
  route: HTTPRoute,
  generation: number,
  parents: RouteParentStatus[],
): ObjectStatus {
  return {
    kind: "HTTPRoute",
    namespace: route.metadata.namespace ?? "default",
    name: route.metadata.name,
    generation,
    status: { parents },
  };
}
