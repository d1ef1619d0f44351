/**
 * Everything about the evaluated listeners that kept route attachments and
 * virtual hosts were built from, as one string: when a Gateway, its class,
 * a ListenerSet or a Secret a listener reads changes and the signature does
 * not (a new label, a rotated certificate, a status write), every route's
 * attachment still holds and nothing is attached again.
 *
 * What a route's attachment reads of its listeners: which ones a parent
 * offers (Gateways and ListenerSets, in order), each one's id, name, port,
 * hostname, protocol, `allowedRoutes`, supported kinds and owner; the
 * parent's name (in status messages). What building the ports reads: which
 * listeners are programmed, on which addresses, of which servable Gateways.
 * Certificates and conditions are read again on every translate.
 * @module
 */
import type { Gateway } from "../resources/gateway_types.ts";
import type { ListenerState } from "./listener_state.ts";
import { isProgrammed } from "./listener.ts";
import type { OurParent } from "./route_attachment.ts";

/** The listeners as `translate` evaluated them (see the module doc). */
export interface EvaluatedListeners {
  allListeners: readonly ListenerState[];
  listenersByGateway: ReadonlyMap<string, readonly ListenerState[]>;
  listenerSets: { parents: ReadonlyMap<string, OurParent> };
  addresses: ReadonlyMap<string, { bindAddresses?: readonly string[] }>;
  unservable: ReadonlySet<Gateway>;
}

function name(object: { metadata: { namespace?: string; name: string } }): string {
  return `${object.metadata.namespace ?? ""}/${object.metadata.name}`;
}

/** The signature of `evaluated`; equal signatures keep every attachment. */
export function listenerSignature(evaluated: EvaluatedListeners): string {
  const ids = (states: readonly ListenerState[]) => states.map((s) => s.id);
  return JSON.stringify([
    evaluated.allListeners.map((state) => [
      state.id,
      name(state.gateway),
      state.owner.kind,
      name(state.owner),
      state.listener,
      state.protocol ?? null,
      state.supportedKinds,
      isProgrammed(state),
      evaluated.unservable.has(state.gateway),
    ]),
    [...evaluated.listenersByGateway].map(([key, states]) => [key, ids(states)]),
    [...evaluated.listenerSets.parents].map(([key, parent]) => [
      key,
      parent.gatewayName,
      parent.parent,
      ids(parent.listeners),
    ]),
    [...evaluated.addresses].map(([key, outcome]) => [key, outcome.bindAddresses ?? null]),
  ]);
}
