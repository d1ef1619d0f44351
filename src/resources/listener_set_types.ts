/**
 * Gateway API `ListenerSet` (`gateway.networking.k8s.io/v1`): listeners
 * declared outside a Gateway, in any namespace, that join their parent
 * Gateway's listeners when the Gateway's `spec.allowedListeners` admits them.
 *
 * A validated shape, like every type in this folder: only `validateResource`
 * makes one.
 * @module
 */

import type { Condition, KubeObject } from "./object_meta.ts";
import type { Listener, ListenerStatus } from "./gateway_types.ts";

/** `ParentGatewayReference`: the Gateway a ListenerSet attaches to. */
export interface ParentGatewayReference {
  /** Default `gateway.networking.k8s.io`. */
  group?: string;
  /** Default `Gateway`. */
  kind?: string;
  name: string;
  /** Default: the ListenerSet's namespace. */
  namespace?: string;
}

/** `ListenerSetStatus`: the set's conditions and one entry per listener. */
export interface ListenerSetStatus {
  conditions?: Condition[];
  listeners?: ListenerStatus[];
}

/** A ListenerSet. Its listeners (`ListenerEntry`) have the fields of a Gateway's listeners. */
export interface ListenerSet extends KubeObject {
  kind: "ListenerSet";
  spec: {
    parentRef: ParentGatewayReference;
    listeners: Listener[];
  };
  status?: ListenerSetStatus;
}
