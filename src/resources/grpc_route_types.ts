/**
 * GRPCRoute (`gateway.networking.k8s.io` v1): routes gRPC calls by hostname,
 * service, method and headers. Field names are the API's exactly; defaults
 * (`type: Exact`, weight 1) are applied by `translate`.
 * @module
 */

import type { KubeObject } from "./object_meta.ts";
import type { HTTPHeaderFilter } from "./http_route_types.ts";
import type {
  BackendObjectReference,
  LocalObjectReference,
  ParentReference,
  RouteParentStatus,
} from "./route_types.ts";

/** `GRPCMethodMatch`: at least one of `service` and `method` is set. */
export interface GRPCMethodMatch {
  /** Default `Exact`. */
  type?: "Exact" | "RegularExpression";
  /** Fully qualified service name (`pkg.Service`); absent: any service. */
  service?: string;
  /** Method name; absent: any method. */
  method?: string;
}

/** `GRPCHeaderMatch`. */
export interface GRPCHeaderMatch {
  /** Default `Exact`. */
  type?: "Exact" | "RegularExpression";
  name: string;
  value: string;
}

/** `GRPCRouteMatch`: its parts are ANDed. */
export interface GRPCRouteMatch {
  method?: GRPCMethodMatch;
  headers?: GRPCHeaderMatch[];
}

/** `GRPCRouteFilter`: the header modifiers, mirrors and extension references. */
export interface GRPCRouteFilter {
  type:
    | "RequestHeaderModifier"
    | "ResponseHeaderModifier"
    | "RequestMirror"
    | "ExtensionRef"
    | string;
  requestHeaderModifier?: HTTPHeaderFilter;
  responseHeaderModifier?: HTTPHeaderFilter;
  requestMirror?: {
    backendRef: BackendObjectReference;
    percent?: number;
    fraction?: { numerator: number; denominator?: number };
  };
  extensionRef?: LocalObjectReference;
}

/** `GRPCBackendRef`. */
export interface GRPCBackendRef extends BackendObjectReference {
  /** Default 1. */
  weight?: number;
  filters?: GRPCRouteFilter[];
}

/** `GRPCRouteRule`. */
export interface GRPCRouteRule {
  name?: string;
  matches?: GRPCRouteMatch[];
  filters?: GRPCRouteFilter[];
  backendRefs?: GRPCBackendRef[];
}

/** A GRPCRoute. */
export interface GRPCRoute extends KubeObject {
  kind: "GRPCRoute";
  spec: {
    parentRefs?: ParentReference[];
    hostnames?: string[];
    rules?: GRPCRouteRule[];
  };
  status?: { parents?: RouteParentStatus[] };
}
