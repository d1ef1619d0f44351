/**
 * Route attachment: which listeners of a Gateway a route's parentRef selects
 * (`sectionName`, `port`), which of those allow it (`allowedRoutes` kinds and
 * namespaces), and the hostnames it serves on each (hostname intersection).
 * @module
 */
import type { HTTPRoute } from "../resources/http_route_types.ts";
import type { ParentReference } from "../resources/route_types.ts";
import type { TLSRoute } from "../resources/tls_route_types.ts";
import type { TranslateContext } from "./context.ts";
import { type Outcome, Reason } from "./conditions.ts";
import { effectiveHostnames } from "./hostname.ts";
import { matchesLabelSelector } from "./label_selector.ts";
import { acceptsRouteKind, GATEWAY_GROUP } from "./listener.ts";
import type { ListenerState } from "./listener_state.ts";

/** A listener a route attached to, and the hostnames it serves there. */
export interface Attachment {
  listener: ListenerState;
  hostnames: string[];
}

/** The outcome of attaching a route through one parentRef. */
export interface ParentAttachment {
  accepted: Outcome & { ok: boolean };
  attachments: Attachment[];
}

/** Whether a parentRef points at a Gateway. */
export function isGatewayRef(ref: ParentReference): boolean {
  return (ref.group ?? GATEWAY_GROUP) === GATEWAY_GROUP && (ref.kind ?? "Gateway") === "Gateway";
}

/** A parent of ours a parentRef names, with the listeners a route may attach to through it. */
export interface OurParent {
  /** `namespace/name` of the Gateway the listeners serve on. */
  gatewayName: string;
  /** For messages: `Gateway <ns>/<name>` or `ListenerSet <ns>/<name>`. */
  parent: string;
  listeners: ListenerState[];
}

/**
 * The parent of ours `ref` names, or `undefined` when it is not ours. A
 * Gateway parent offers only the Gateway's own listeners, a ListenerSet
 * parent only the set's: a route attaches to each independently.
 */
export function ourParent(
  ref: ParentReference,
  routeNamespace: string,
  listenersByGateway: ReadonlyMap<string, ListenerState[]>,
  listenerSets: ReadonlyMap<string, OurParent> | undefined,
): OurParent | undefined {
  const key = `${ref.namespace ?? routeNamespace}/${ref.name}`;
  if (isGatewayRef(ref)) {
    const listeners = listenersByGateway.get(key);
    return listeners && { gatewayName: key, parent: `Gateway ${key}`, listeners };
  }
  const isListenerSet = ref.group === GATEWAY_GROUP && ref.kind === "ListenerSet";
  return isListenerSet ? listenerSets?.get(key) : undefined;
}

/**
 * Attaches `route` to the listeners of one Gateway through `ref`. The reasons
 * are checked in the order a user debugs them: no listener selected
 * (`NoMatchingParent`), selected but not allowed (`NotAllowedByListeners`),
 * allowed but no common hostname (`NoMatchingListenerHostname`).
 */
export function attachToGateway(
  ctx: TranslateContext,
  route: HTTPRoute | TLSRoute,
  ref: ParentReference,
  listeners: readonly ListenerState[],
  parent?: string,
): ParentAttachment {
  const selected = listeners.filter((l) =>
    (ref.sectionName === undefined || l.listener.name === ref.sectionName) &&
    (ref.port === undefined || l.listener.port === ref.port)
  );
  const parentName = parent ??
    `Gateway ${
      listeners[0]
        ? `${listeners[0].gateway.metadata.namespace}/${listeners[0].gateway.metadata.name}`
        : ref.name
    }`;
  if (selected.length === 0) {
    const what = [
      ref.sectionName !== undefined ? `sectionName ${JSON.stringify(ref.sectionName)}` : "",
      ref.port !== undefined ? `port ${ref.port}` : "",
    ].filter(Boolean).join(" and ");
    return rejected(
      Reason.NoMatchingParent,
      `${parentName} has no listener with ${what || "any name"}`,
    );
  }
  const routeNamespace = route.metadata.namespace ?? "default";
  const allowed = selected.filter((l) =>
    acceptsRouteKind(l, route.kind) && namespaceAllowed(ctx, l, routeNamespace)
  );
  if (allowed.length === 0) {
    return rejected(
      Reason.NotAllowedByListeners,
      `No listener of ${parentName} selected by this parentRef allows ${route.kind}s from namespace ${routeNamespace}`,
    );
  }
  const attachments: Attachment[] = [];
  for (const listener of allowed) {
    const hostnames = effectiveHostnames(listener.listener.hostname, route.spec.hostnames);
    if (hostnames.length > 0) attachments.push({ listener, hostnames });
  }
  if (attachments.length === 0) {
    return rejected(
      Reason.NoMatchingListenerHostname,
      `No hostname of the route intersects a hostname of the listeners of ${parentName}`,
    );
  }
  return {
    accepted: { ok: true, reason: Reason.Accepted, message: "Route is accepted" },
    attachments,
  };
}

function rejected(reason: string, message: string): ParentAttachment {
  return { accepted: { ok: false, reason, message }, attachments: [] };
}

function namespaceAllowed(
  ctx: TranslateContext,
  state: ListenerState,
  routeNamespace: string,
): boolean {
  const namespaces = state.listener.allowedRoutes?.namespaces;
  const from = namespaces?.from ?? "Same";
  if (from === "All") return true;
  if (from === "Same") return routeNamespace === (state.owner.metadata.namespace ?? "default");
  if (from === "Selector") {
    // A Selector without a selector selects nothing: failing closed never widens access.
    if (!namespaces?.selector) return false;
    return matchesLabelSelector(ctx.namespaceLabels(routeNamespace), namespaces.selector);
  }
  return false;
}
