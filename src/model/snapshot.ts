/**
 * The input of `translate`: every object the gateway knows of, at one moment.
 * Sources (`files`, `kube`) build it from their store; `translate` only reads it.
 * @module
 */
import type {
  ConfigMap,
  EndpointSlice,
  Namespace,
  Secret,
  Service,
} from "../resources/core_types.ts";
import type { Gateway, GatewayClass } from "../resources/gateway_types.ts";
import type { GRPCRoute } from "../resources/grpc_route_types.ts";
import type { HTTPRoute } from "../resources/http_route_types.ts";
import type { ListenerSet } from "../resources/listener_set_types.ts";
import type { BackendTLSPolicy, ReferenceGrant } from "../resources/policy_types.ts";
import type { TLSRoute } from "../resources/tls_route_types.ts";

/** A read-only view of the world. Arrays are in no particular order. */
export interface Snapshot {
  readonly gatewayClasses: readonly GatewayClass[];
  readonly gateways: readonly Gateway[];
  /** ListenerSets; absent: none. */
  readonly listenerSets?: readonly ListenerSet[];
  readonly httpRoutes: readonly HTTPRoute[];
  /** GRPCRoutes; absent: none. */
  readonly grpcRoutes?: readonly GRPCRoute[];
  readonly referenceGrants: readonly ReferenceGrant[];
  readonly services: readonly Service[];
  readonly endpointSlices: readonly EndpointSlice[];
  /** Only `kubernetes.io/tls` secrets are needed. */
  readonly secrets: readonly Secret[];
  /**
   * Namespaces with their labels, for `allowedRoutes.namespaces.selector`. A
   * namespace that objects live in but that is not listed here (common in files
   * mode) is treated as existing with only the `kubernetes.io/metadata.name` label.
   */
  readonly namespaces: readonly Namespace[];
  /** TLSRoutes; absent: none. */
  readonly tlsRoutes?: readonly TLSRoute[];
  /** BackendTLSPolicies; absent: none. */
  readonly backendTLSPolicies?: readonly BackendTLSPolicy[];
  /** ConfigMaps (BackendTLSPolicy CA bundles); absent: none. */
  readonly configMaps?: readonly ConfigMap[];
}

/** An empty snapshot. */
export const EMPTY_SNAPSHOT: Snapshot = Object.freeze({
  gatewayClasses: [],
  gateways: [],
  listenerSets: [],
  httpRoutes: [],
  grpcRoutes: [],
  tlsRoutes: [],
  referenceGrants: [],
  services: [],
  endpointSlices: [],
  secrets: [],
  namespaces: [],
  backendTLSPolicies: [],
  configMaps: [],
});
