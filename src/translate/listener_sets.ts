/**
 * ListenerSets: listeners declared outside a Gateway that join it. A set
 * attaches when its `parentRef` names one of our Gateways and that
 * Gateway's `spec.allowedListeners.namespaces` admits the set's namespace
 * (`None`, the default, admits none; `Same`; `Selector` on the namespace's
 * labels; `All`). Its listeners are then ordinary listeners of the Gateway,
 * owned by the set (see `ListenerState.owner`), merged in the spec's
 * precedence: the Gateway's own listeners first, then the sets oldest first,
 * then by `namespace/name`. A set's listener that conflicts with one earlier
 * in that order is not programmed and says why; the earlier one keeps
 * serving, and so do the set's other listeners.
 *
 * Routes reach these listeners only through a `ListenerSet` parentRef; a
 * Gateway parentRef sees the Gateway's own listeners alone.
 * @module
 */
import type { Gateway } from "../resources/gateway_types.ts";
import type { ListenerSet } from "../resources/listener_set_types.ts";
import type { TranslateContext } from "./context.ts";
import { compareByAgeThenName, namespacedName } from "./context.ts";
import { Reason } from "./conditions.ts";
import { evaluateListenerEntries, GATEWAY_GROUP } from "./listener.ts";
import { listenerSetListenerId } from "./ids.ts";
import { markConflictsWithinGateway } from "./listener_conflicts.ts";
import { ListenerClaims } from "./listener_claims.ts";
import type { ListenerState } from "./listener_state.ts";
import { matchesLabelSelector } from "./label_selector.ts";
import type { OurParent } from "./route_attachment.ts";

/** One ListenerSet whose parent is one of our Gateways. */
export interface ListenerSetState {
  /** The set, its namespace filled in. */
  readonly set: ListenerSet;
  readonly gateway: Gateway;
  /** Why the set is not attached (`NotAllowed`, `ParentNotAccepted`); absent when it is. */
  refusal?: { reason: string; message: string };
  /** Its listeners, evaluated; empty when the Gateway does not admit the set. */
  readonly listeners: ListenerState[];
}

/** What {@linkcode evaluateListenerSets} finds. */
export interface ListenerSets {
  /** Every set whose parent is ours, in precedence order within each Gateway. */
  readonly all: ListenerSetState[];
  /** By `namespace/name` of the parent Gateway, in precedence order. */
  readonly byGateway: Map<string, ListenerSetState[]>;
  /** Route parents, by `namespace/name` of the set. */
  readonly parents: Map<string, OurParent>;
}

/**
 * Evaluates the ListenerSets of our `gateways` (precedence order) and marks
 * their listeners' conflicts with the listeners in `listenersByGateway` and
 * with older sets'.
 */
export function evaluateListenerSets(
  ctx: TranslateContext,
  gateways: readonly Gateway[],
  listenersByGateway: ReadonlyMap<string, readonly ListenerState[]>,
): ListenerSets {
  const ours = new Map(gateways.map((g) => [namespacedName(g), g]));
  const grouped = new Map<string, ListenerSet[]>();
  for (const raw of ctx.snapshot.listenerSets ?? []) {
    const set = withNamespace(raw);
    const ref = set.spec.parentRef;
    if ((ref.group ?? GATEWAY_GROUP) !== GATEWAY_GROUP || (ref.kind ?? "Gateway") !== "Gateway") {
      continue;
    }
    const key = `${ref.namespace ?? set.metadata.namespace}/${ref.name}`;
    if (!ours.has(key)) continue;
    const list = grouped.get(key);
    if (list === undefined) grouped.set(key, [set]);
    else list.push(set);
  }
  const all: ListenerSetState[] = [];
  const byGateway = new Map<string, ListenerSetState[]>();
  const parents = new Map<string, OurParent>();
  for (const [key, sets] of grouped) {
    const gateway = ours.get(key)!;
    const claims = new ListenerClaims();
    claims.add(listenersByGateway.get(key) ?? []);
    const states = sets.sort(compareByAgeThenName).map((set): ListenerSetState => {
      const refusal = notAllowed(ctx, gateway, set);
      if (refusal) {
        ctx.problem(set, "spec.parentRef", refusal.message);
        return { set, gateway, refusal, listeners: [] };
      }
      const { namespace, name } = set.metadata;
      const listeners = evaluateListenerEntries(
        ctx,
        gateway,
        set,
        (l) => listenerSetListenerId(namespace!, name, l.name),
      );
      markConflictsWithinGateway(ctx, listeners);
      claims.markConflicts(ctx, listeners);
      claims.add(listeners);
      return { set, gateway, listeners };
    });
    byGateway.set(key, states);
    for (const state of states) {
      const setKey = namespacedName(state.set);
      parents.set(setKey, {
        gatewayName: key,
        parent: state.refusal
          ? `ListenerSet ${setKey}, which its Gateway does not admit,`
          : `ListenerSet ${setKey}`,
        listeners: state.listeners,
      });
      all.push(state);
    }
  }
  return { all, byGateway, parents };
}

/**
 * Marks the sets of Gateways that are not served (`unservable`) as
 * `ParentNotAccepted`; their listeners go unserved with their Gateway's.
 */
export function refuseSetsOfUnservedGateways(
  sets: ListenerSets,
  unservable: ReadonlySet<Gateway>,
): void {
  for (const state of sets.all) {
    if (state.refusal || !unservable.has(state.gateway)) continue;
    state.refusal = {
      reason: Reason.ParentNotAccepted,
      message: `Gateway ${namespacedName(state.gateway)} is not accepted`,
    };
  }
}

/** Why `gateway`'s `allowedListeners` does not admit `set`, or `undefined` when it does. */
function notAllowed(
  ctx: TranslateContext,
  gateway: Gateway,
  set: ListenerSet,
): { reason: string; message: string } | undefined {
  const namespaces = gateway.spec.allowedListeners?.namespaces;
  const from = namespaces?.from ?? "None";
  const setNamespace = set.metadata.namespace!;
  const gatewayNamespace = gateway.metadata.namespace ?? "default";
  let allowed = false;
  if (from === "All") allowed = true;
  else if (from === "Same") allowed = setNamespace === gatewayNamespace;
  else if (from === "Selector") {
    // Without a selector nothing is selected: failing closed never widens access.
    allowed = namespaces?.selector !== undefined &&
      matchesLabelSelector(ctx.namespaceLabels(setNamespace), namespaces.selector);
  }
  if (allowed) return undefined;
  const why = from === "None"
    ? "admits no ListenerSets (allowedListeners.namespaces.from is None or unset)"
    : from === "Same"
    ? `admits ListenerSets from its own namespace ${gatewayNamespace} only`
    : from === "Selector" && namespaces?.selector === undefined
    ? "admits no ListenerSets: allowedListeners.namespaces.from is Selector but selector is missing"
    : from === "Selector"
    ? `admits ListenerSets only from namespaces its selector matches, not ${setNamespace}`
    : `admits no ListenerSets: allowedListeners.namespaces.from ${JSON.stringify(from)} is unknown`;
  return {
    reason: Reason.NotAllowed,
    message: `Cannot attach to Gateway ${namespacedName(gateway)}: it ${why}`,
  };
}

function withNamespace(set: ListenerSet): ListenerSet {
  return set.metadata.namespace === undefined
    ? { ...set, metadata: { ...set.metadata, namespace: "default" } }
    : set;
}
