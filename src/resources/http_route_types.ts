/**
 * Gateway API `HTTPRoute` shapes: matches, filters, backend references,
 * timeouts and retries.
 *
 * These are the *validated* shapes, with the Gateway API v1 field names
 * exactly: a raw object becomes one only through `validate*` in this folder,
 * so downstream code may rely on required fields being present and typed.
 * Optional fields stay optional where the API defaults them; defaults are
 * applied by `translate`, which documents each.
 * @module
 */

import type { KubeObject } from "./object_meta.ts";
import type {
  BackendObjectReference,
  LocalObjectReference,
  ParentReference,
  RouteParentStatus,
} from "./route_types.ts";

export interface HTTPPathMatch {
  /** Default `PathPrefix`. */
  type?: "Exact" | "PathPrefix" | "RegularExpression";
  /** Default `/`. */
  value?: string;
}

export interface HTTPHeaderMatch {
  /** Default `Exact`. */
  type?: "Exact" | "RegularExpression";
  name: string;
  value: string;
}

export interface HTTPQueryParamMatch {
  /** Default `Exact`. */
  type?: "Exact" | "RegularExpression";
  name: string;
  value: string;
}

export type HTTPMethod =
  | "GET"
  | "HEAD"
  | "POST"
  | "PUT"
  | "DELETE"
  | "CONNECT"
  | "OPTIONS"
  | "TRACE"
  | "PATCH";

export interface HTTPRouteMatch {
  path?: HTTPPathMatch;
  headers?: HTTPHeaderMatch[];
  queryParams?: HTTPQueryParamMatch[];
  method?: HTTPMethod;
}

export interface HTTPHeader {
  name: string;
  value: string;
}

export interface HTTPHeaderFilter {
  set?: HTTPHeader[];
  add?: HTTPHeader[];
  remove?: string[];
}

export interface HTTPPathModifier {
  type: "ReplaceFullPath" | "ReplacePrefixMatch";
  replaceFullPath?: string;
  replacePrefixMatch?: string;
}

export interface HTTPRequestRedirectFilter {
  scheme?: "http" | "https";
  hostname?: string;
  path?: HTTPPathModifier;
  port?: number;
  /** Default 302. */
  statusCode?: number;
}

export interface HTTPURLRewriteFilter {
  hostname?: string;
  path?: HTTPPathModifier;
}

/** `HTTPCORSFilter`: which cross-origin requests the gateway allows. */
export interface HTTPCORSFilter {
  /** `<scheme>://<host>[:<port>]`, the host part may start with `*`; or `*` alone. */
  allowOrigins?: string[];
  allowCredentials?: boolean;
  /** Method names, or `*` alone. */
  allowMethods?: string[];
  /** Header names, or `*` alone. */
  allowHeaders?: string[];
  exposeHeaders?: string[];
  /** Seconds a preflight result may be cached (default 5). */
  maxAge?: number;
}

/** `HTTPRouteRetry` (experimental channel). */
export interface HTTPRouteRetry {
  /** Status codes to retry on (400–599). */
  codes?: number[];
  /** Retries after the first try (at least 1). */
  attempts?: number;
  /** Gateway API duration: the minimum wait between tries. */
  backoff?: string;
}

export interface HTTPRouteFilter {
  type:
    | "RequestHeaderModifier"
    | "ResponseHeaderModifier"
    | "RequestMirror"
    | "RequestRedirect"
    | "URLRewrite"
    | "ExtensionRef"
    | string;
  requestHeaderModifier?: HTTPHeaderFilter;
  responseHeaderModifier?: HTTPHeaderFilter;
  requestRedirect?: HTTPRequestRedirectFilter;
  urlRewrite?: HTTPURLRewriteFilter;
  requestMirror?: {
    backendRef: BackendObjectReference;
    percent?: number;
    /** Alternative to `percent`: `numerator`/`denominator` (default 100) of requests. */
    fraction?: { numerator: number; denominator?: number };
  };
  extensionRef?: LocalObjectReference;
  cors?: HTTPCORSFilter;
}

export interface HTTPBackendRef extends BackendObjectReference {
  /** Default 1. */
  weight?: number;
  filters?: HTTPRouteFilter[];
}

export interface HTTPRouteTimeouts {
  /** Gateway API duration, e.g. `10s`, `500ms`, `1m`. */
  request?: string;
  backendRequest?: string;
}

export interface HTTPRouteRule {
  name?: string;
  matches?: HTTPRouteMatch[];
  filters?: HTTPRouteFilter[];
  backendRefs?: HTTPBackendRef[];
  timeouts?: HTTPRouteTimeouts;
  retry?: HTTPRouteRetry;
}

export interface HTTPRoute extends KubeObject {
  kind: "HTTPRoute";
  spec: {
    parentRefs?: ParentReference[];
    hostnames?: string[];
    rules?: HTTPRouteRule[];
  };
  status?: { parents?: RouteParentStatus[] };
}
