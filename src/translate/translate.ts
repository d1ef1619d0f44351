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
  type TranslateContext,
} from "./context.ts";
import { type RuleMap, ruleMapOf } from "../model/rule_map.ts";
import { deepFreeze } from "./deep_freeze.ts";
import { evaluateGatewayClasses } from "./gateway_class.ts";
import { addressOutcomes, gatewayStatus, unservableGateways } from "./gateway.ts";
import { gatewayKey } from "./address_assignment.ts";
import { evaluateListeners } from "./listener.ts";
import type { ListenerState } from "./listener_state.ts";
import { markConflictsAcrossGateways } from "./listener_conflicts.ts";
import { buildPorts, type ListenerRoutes, listenerRoutesOf } from "./port_config.ts";
import { type AttachInputs, attachRoutes } from "./attach_routes.ts";
import { RouteAttachments } from "./route_attachments.ts";
import {
  type KeptStatuses,
  type RouteStatusChanges,
  type RouteStatusVersions,
  withStatuses,
} from "./result_statuses.ts";
import { VirtualHostSets } from "./virtual_host_sets.ts";
import type { CompiledRoute } from "./route_rules.ts";
import { backendTlsPolicyStatuses, PolicyAncestors } from "./backend_tls_status.ts";
import { insecureFrontendCondition } from "./frontend_validation.ts";
import { type KeptTlsRoutes, keptTlsRoutes } from "./kept_tls_routes.ts";
import type { TLSRoute } from "../resources/tls_route_types.ts";
import type { TranslateMemo } from "./translate_memo.ts";
import type { DependencyChanges } from "./dependency_changes.ts";
import { listenerSignature } from "./listener_signature.ts";
import { evaluateListenerSets, refuseSetsOfUnservedGateways } from "./listener_sets.ts";
import { listenerSetStatuses, withAttachedListenerSets } from "./listener_set_status.ts";
import {
  type GatewayClientCertificate,
  gatewayClientCertificate,
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
export function translate(
  snapshot: Snapshot,
  options: TranslateOptions,
  memo?: TranslateMemo,
): TranslateResult {
  const changes = memo?.begin(snapshot, options);
  const ctx = createContext(snapshot, options, memo?.lasting, memo?.indexes);
  // What the listeners are built from, for the next translate to check.
  if (memo !== undefined) ctx.reads = new Set();
  const classes = evaluateGatewayClasses(ctx);
  const all = evaluateAllListeners(ctx, classes.accepted);
  const { listenersByGateway, listenerSets, addresses, unservable } = all;
  if (memo !== undefined) {
    memo.listenersRead(ctx.reads!);
    ctx.reads = undefined;
  }
  const signature = memo === undefined ? "" : listenerSignature(all);
  const kept = memo === undefined ? undefined : keptState(memo, changes!, signature);

  const policyAncestors = new PolicyAncestors();
  const inputs = {
    snapshot,
    options,
    listenersByGateway,
    listenerSets: listenerSets.parents,
    clientCertificate: (gateway: string) => all.clientCertificates.get(gateway)?.certificate,
    policyAncestors,
    memo,
  };
  const routes = attachHttpRoutes(ctx, inputs, all.allListeners, kept, changes?.keys);

  const tlsRoutes = keptTlsRoutes(
    ctx,
    {
      routes: snapshot.tlsRoutes ?? NO_TLS_ROUTES,
      listenersByGateway,
      allListeners: all.allListeners,
      controllerName: options.controllerName,
      listenerSets: listenerSets.parents,
      listeners: signature,
    },
    kept,
    changes,
  );
  const hostSets = routes.kept ? kept?.hostSets : undefined;
  const built = buildPorts(
    all.allListeners.filter((l) => !unservable.has(l.gateway)),
    routes.listenerRoutes,
    (gateway) => addresses.get(gatewayKey(gateway))?.bindAddresses,
    tlsRoutes.hostsByListener,
    memo,
    hostSets,
  );
  const sortedRules = hostSets?.rules() ?? usedRules(routes.compiled, built.usedRules, memo);

  const gatewayStatuses = gatewayStatusesOf(all);
  memo?.end();
  // Each status is frozen, the lists are readonly by type only: V8 reads the
  // elements of a frozen array far slower. Kept route statuses are frozen already.
  const frozen = <T>(list: readonly T[]) => list.map(deepFreeze);
  const fields = {
    config: deepFreeze({ ports: built.ports, rules: sortedRules }),
    certificates: deepFreeze(built.certificates),
    problems: deepFreeze(ctx.problems),
  };
  return withStatuses(fields, {
    head: [
      ...frozen(classes.statuses),
      ...frozen(gatewayStatuses),
      ...frozen(listenerSetStatuses(listenerSets.all)),
    ],
    routes: routes.statuses,
    routeChanges: routes.statusChanges,
    tail: [
      ...frozen(tlsRoutes.statuses),
      ...frozen(backendTlsPolicyStatuses(ctx, routes.ancestors ?? policyAncestors)),
    ],
  }, kept);
}

/** Each of our Gateways' status, by name. */
function gatewayStatusesOf(all: ReturnType<typeof evaluateAllListeners>): ObjectStatus[] {
  const { gateways, listenersByGateway, addresses, listenerSets } = all;
  return [...gateways].sort(compareByName).map((g) =>
    withAttachedListenerSets(
      gatewayStatus(
        g,
        listenersByGateway.get(namespacedName(g)) ?? [],
        addresses.get(gatewayKey(g))!,
        all.pool,
        [all.clientCertificates.get(namespacedName(g))?.resolvedRefs, insecureFrontendCondition(g)]
          .filter((c) => c !== undefined),
      ),
      g.spec.allowedListeners !== undefined,
      listenerSets.byGateway.get(namespacedName(g)),
    )
  );
}

/** Our Gateways (of an accepted class), oldest first, with their listeners evaluated. */
interface OurGateways {
  gateways: Gateway[];
  /** Listeners by `namespace/name` of their Gateway. */
  listenersByGateway: Map<string, ListenerState[]>;
  clientCertificates: Map<string, GatewayClientCertificate>;
}

function evaluateGateways(
  ctx: TranslateContext,
  acceptedClasses: ReadonlySet<string>,
): OurGateways {
  const gateways = ctx.snapshot.gateways
    .map(withNamespace)
    .filter((g) => acceptedClasses.has(g.spec.gatewayClassName))
    .sort(compareByAgeThenName);
  const listenersByGateway = new Map<string, ListenerState[]>();
  const clientCertificates = new Map<string, GatewayClientCertificate>();
  for (const gateway of gateways) {
    const states = evaluateListeners(ctx, gateway);
    listenersByGateway.set(namespacedName(withNamespace(gateway)), states);
    clientCertificates.set(namespacedName(gateway), gatewayClientCertificate(ctx, gateway));
  }
  return { gateways, listenersByGateway, clientCertificates };
}

/** Our Gateways and ListenerSets, with every listener evaluated and checked for conflicts. */
function evaluateAllListeners(ctx: TranslateContext, acceptedClasses: ReadonlySet<string>) {
  const options = ctx.options;
  const { gateways, listenersByGateway, clientCertificates } = evaluateGateways(
    ctx,
    acceptedClasses,
  );
  const listenerSets = evaluateListenerSets(ctx, gateways, listenersByGateway);
  // Each Gateway's own listeners, then its ListenerSets' in their precedence.
  const allListeners = gateways.flatMap((g) => {
    const key = namespacedName(g);
    const sets = listenerSets.byGateway.get(key) ?? [];
    return [...(listenersByGateway.get(key) ?? []), ...sets.flatMap((s) => s.listeners)];
  });
  const addresses = addressOutcomes(gateways, options);
  const pool = options.addressPool !== undefined;
  // With a pool no two Gateways share an address, so only listeners of one
  // Gateway can compete for a socket.
  if (!pool) markConflictsAcrossGateways(ctx, allListeners);
  const unservable = unservableGateways(ctx, gateways, addresses);
  refuseSetsOfUnservedGateways(listenerSets, unservable);
  return {
    gateways,
    listenersByGateway,
    clientCertificates,
    listenerSets,
    allListeners,
    addresses,
    pool,
    unservable,
  };
}

/** What one memo's owner keeps besides the memo: attachments, virtual hosts, rules. */
interface KeptState {
  attachments: RouteAttachments;
  hostSets: VirtualHostSets;
  /** `listener_signature.ts` of the listeners the attachments were made with. */
  listeners?: string;
  /** What the last result's statuses were made of (`result_statuses.ts`). */
  statuses?: KeptStatuses;
  /** The last TLSRoute pass (`kept_tls_routes.ts`). */
  tls?: KeptTlsRoutes;
}

/** One empty list, so a snapshot without TLSRoutes is the same list each time. */
const NO_TLS_ROUTES: readonly TLSRoute[] = Object.freeze([]);

/**
 * The state kept with `memo`; the attachments are forgotten when the memo
 * was emptied or the listeners changed in a way routes can see (every route
 * attaches again).
 */
function keptState(
  memo: TranslateMemo,
  changes: DependencyChanges,
  listeners: string,
): KeptState {
  const state = memo.kept<KeptState>(() => ({
    attachments: new RouteAttachments(),
    hostSets: new VirtualHostSets(),
  }));
  if (changes.everything || listeners !== state.listeners) state.attachments.reset();
  state.listeners = listeners;
  return state;
}

/** What the routes give the rest of translate. */
interface AttachedHttpRoutes {
  listenerRoutes: ListenerRoutes;
  /** Frozen already when kept. */
  statuses: readonly ObjectStatus[] | RouteStatusVersions;
  /** Kept: the route statuses added and removed by this translate, when not all are new. */
  statusChanges?: RouteStatusChanges;
  /** Every compiled route of ours (without `kept`). */
  compiled: readonly CompiledRoute[];
  /** The memo keeps the attachments, virtual hosts and rules from one translate to the next. */
  kept: boolean;
  /** Kept: the Gateways serving each Service (else gathered in `inputs.policyAncestors`). */
  ancestors?: PolicyAncestors;
}

/**
 * Attaches the routes: with a memo, and where no route's outcome depends on
 * another's, only those that changed (`route_attachments.ts`).
 */
function attachHttpRoutes(
  ctx: TranslateContext,
  inputs: AttachInputs,
  listeners: readonly ListenerState[],
  state: KeptState | undefined,
  changed: ReadonlySet<string> | undefined,
): AttachedHttpRoutes {
  const memo = inputs.memo;
  if (memo === undefined || state === undefined) {
    state?.attachments.reset();
    const attached = attachRoutes(ctx, inputs);
    return {
      listenerRoutes: listenerRoutesOf(attached.routesByListener),
      statuses: attached.statuses.map(deepFreeze),
      compiled: attached.compiled,
      kept: false,
    };
  }
  const kept = state.attachments;
  const { httpRoutes, grpcRoutes } = inputs.snapshot;
  kept.update(ctx, inputs, { http: httpRoutes, grpc: grpcRoutes ?? [] }, changed ?? new Set());
  if (kept.fresh()) state.hostSets.clear();
  else memo.keepUnseenRoutes();
  kept.fillAttached(listeners);
  return {
    listenerRoutes: kept,
    statuses: kept.statuses(),
    statusChanges: kept.statusChanges(),
    compiled: [],
    kept: true,
    ancestors: kept.ancestors,
  };
}

/** The configs of the rules some port serves, by id (added in sorted order). */
function usedRules(
  compiledRoutes: readonly CompiledRoute[],
  used: ReadonlySet<string>,
  memo: TranslateMemo | undefined,
): RuleMap {
  const rules = new Map<string, RuleConfig>();
  for (const compiled of compiledRoutes) {
    for (const rule of compiled.rules) {
      // Frozen here: the map is frozen already, so the result's deep freeze skips it.
      if (used.has(rule.config.id)) rules.set(rule.config.id, deepFreeze(rule.config));
    }
  }
  if (memo) return memo.sortedRules(rules, compareStrings);
  return ruleMapOf([...rules].sort(([a], [b]) => compareStrings(a, b)));
}

function withNamespace<T extends Gateway | HTTPRoute>(object: T): T {
  return object.metadata.namespace === undefined
    ? { ...object, metadata: { ...object.metadata, namespace: "default" } }
    : object;
}
