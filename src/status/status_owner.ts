/**
 * Who may write a whole status now, from the store: a GatewayClass names its
 * controller; a Gateway belongs to the controller of its class; a
 * ListenerSet to the controller of its parent Gateway. A route's or
 * policy's entries name their controller one by one, so for those kinds
 * the question does not arise.
 *
 * The status writer asks before writing what the last result wanted: a
 * Gateway can move to another controller's class between a result and its
 * write (the rebuild waits for its holdoff), and the other controller may
 * have written first. Its status names no controller, so a write of ours
 * then would read as theirs, and they would write back: the object is left
 * alone, and the next result takes ours back (`status_release.ts`).
 *
 * @example
 * ```ts
 * import { ownerOfObject } from "./status_owner.ts";
 * import { createStore } from "../source/store.ts";
 * ownerOfObject(createStore(), {
 *   apiVersion: "gateway.networking.k8s.io/v1",
 *   kind: "Gateway",
 *   metadata: { name: "gw", namespace: "default" },
 *   spec: { gatewayClassName: "serval", listeners: [] },
 * });
 * // undefined: the store holds no class "serval", so nobody owns its status
 * ```
 * @module
 */
import type { Store } from "../source/store.ts";
import type { Gateway } from "../resources/gateway_types.ts";
import type { ListenerSet } from "../resources/listener_set_types.ts";
import type { GatewayResource } from "../resources/types.ts";

type Lookup = Pick<Store, "get">;

/**
 * The `controllerName` that owns the whole status of `object` (the store's,
 * or one just read from the API), from the store as it holds the rest now:
 * `undefined` when its class, or its Gateway, is not there (nobody owns
 * it), `null` for a kind whose entries each name their own controller.
 */
export function ownerOfObject(store: Lookup, object: GatewayResource): string | null | undefined {
  switch (object.kind) {
    case "GatewayClass":
      return object.spec?.controllerName;
    case "Gateway": {
      const gatewayClass = classOf(store, object);
      return gatewayClass?.kind === "GatewayClass" ? gatewayClass.spec?.controllerName : undefined;
    }
    case "ListenerSet": {
      const parent = parentOf(store, object);
      return parent === undefined ? undefined : ownerOfObject(store, parent);
    }
    default:
      return null;
  }
}

/** The GatewayClass `gateway` names, if the store holds it. */
function classOf(store: Lookup, gateway: Gateway): GatewayResource | undefined {
  const name = gateway.spec?.gatewayClassName;
  return typeof name === "string" ? store.get("GatewayClass", undefined, name) : undefined;
}

/** The Gateway a ListenerSet names as its parent, if the store holds it. */
function parentOf(store: Lookup, set: ListenerSet): Gateway | undefined {
  const ref = set.spec?.parentRef;
  if (ref === undefined) return undefined;
  const parent = store.get("Gateway", ref.namespace ?? set.metadata.namespace, ref.name);
  return parent?.kind === "Gateway" ? parent : undefined;
}
