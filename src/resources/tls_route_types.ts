/**
 * The TLSRoute kind (`gateway.networking.k8s.io/v1`): SNI hostnames and one
 * rule of weighted backends, served on listeners of protocol `TLS`.
 * @module
 */
import type { KubeObject } from "./object_meta.ts";
import type { BackendObjectReference, ParentReference, RouteParentStatus } from "./route_types.ts";

/** A TLSRoute backendRef: a Service port and its share of connections. */
export interface TLSBackendRef extends BackendObjectReference {
  /** Default 1. */
  weight?: number;
}

/** The route's one rule (the CRD allows exactly one). */
export interface TLSRouteRule {
  name?: string;
  backendRefs?: TLSBackendRef[];
}

/**
 * A TLSRoute: connections whose ClientHello names one of `hostnames` go to
 * the rule's backends, still encrypted (Passthrough listeners).
 *
 * @example
 * ```ts
 * import type { TLSRoute } from "./tls_route_types.ts";
 * const route: TLSRoute = {
 *   apiVersion: "gateway.networking.k8s.io/v1",
 *   kind: "TLSRoute",
 *   metadata: { name: "db", namespace: "default" },
 *   spec: { hostnames: ["db.example.com"], rules: [{ backendRefs: [{ name: "db", port: 5432 }] }] },
 * };
 * ```
 */
export interface TLSRoute extends KubeObject {
  kind: "TLSRoute";
  spec: {
    parentRefs?: ParentReference[];
    hostnames?: string[];
    rules?: TLSRouteRule[];
  };
  status?: { parents?: RouteParentStatus[] };
}
