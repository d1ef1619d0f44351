/**
 * Every kind the gateway reads: one union of their validated shapes and the
 * list of kind names, in the order stores and dumps list them.
 * @module
 */

import type { ConfigMap, EndpointSlice, Namespace, Secret, Service } from "./core_types.ts";
import type { Gateway, GatewayClass } from "./gateway_types.ts";
import type { GRPCRoute } from "./grpc_route_types.ts";
import type { HTTPRoute } from "./http_route_types.ts";
import type { ListenerSet } from "./listener_set_types.ts";
import type { BackendTLSPolicy, ReferenceGrant } from "./policy_types.ts";
import type { TLSRoute } from "./tls_route_types.ts";

/** Every kind the gateway reads. */
export type GatewayResource =
  | GatewayClass
  | Gateway
  | ListenerSet
  | HTTPRoute
  | GRPCRoute
  | TLSRoute
  | ReferenceGrant
  | BackendTLSPolicy
  | Service
  | EndpointSlice
  | Secret
  | ConfigMap
  | Namespace;

/** Kind names the gateway reads. */
export type ResourceKind = GatewayResource["kind"];

/** Every kind the gateway reads, in the order stores and dumps list them. */
export const RESOURCE_KINDS: readonly ResourceKind[] = Object.freeze([
  "GatewayClass",
  "Gateway",
  "ListenerSet",
  "HTTPRoute",
  "GRPCRoute",
  "TLSRoute",
  "ReferenceGrant",
  "BackendTLSPolicy",
  "Service",
  "EndpointSlice",
  "Secret",
  "ConfigMap",
  "Namespace",
]);
