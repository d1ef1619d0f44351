/**
 * TypeScript shapes of the Kubernetes objects the gateway reads, with the
 * Gateway API v1 field names exactly. These are the *validated* shapes: a raw
 * object becomes one of these only through `validate*` in this folder, so
 * downstream code may rely on required fields being present and typed.
 *
 * Optional fields stay optional where the API defaults them; defaults are
 * applied by `translate`, which documents each.
 * @module
 */

/** `metadata` of every object. */
export interface ObjectMeta {
  name: string;
  /** Absent for cluster-scoped objects (GatewayClass, Namespace). */
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  /** RFC 3339; used for route precedence ties. */
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** Fields common to every object. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
}

/** A `metav1.Condition`. `lastTransitionTime` is set by the status writer, never by `translate`. */
export interface Condition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime?: string;
}

// ---------------------------------------------------------------- GatewayClass

export interface GatewayClass extends KubeObject {
  kind: "GatewayClass";
  spec: {
    controllerName: string;
    parametersRef?: { group: string; kind: string; name: string; namespace?: string };
    description?: string;
  };
  status?: { conditions?: Condition[] };
}

// ---------------------------------------------------------------- Gateway

export type ProtocolType = "HTTP" | "HTTPS" | "TLS" | "TCP" | "UDP" | string;

export interface SecretObjectReference {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
}

/** `FrontendTLSValidation`: CA certificates that client certificates must chain to. */
export interface FrontendValidation {
  caCertificateRefs: SecretObjectReference[];
  /** `AllowValidOnly` (default) or `AllowInsecureFallback`. */
  mode?: string;
}

export interface GatewayTLSConfig {
  /** Default `Terminate`. */
  mode?: "Terminate" | "Passthrough";
  certificateRefs?: SecretObjectReference[];
  options?: Record<string, string>;
}

export interface LabelSelectorRequirement {
  key: string;
  operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export interface RouteGroupKind {
  group?: string;
  kind: string;
}

export interface AllowedRoutes {
  namespaces?: { from?: "All" | "Same" | "Selector"; selector?: LabelSelector };
  kinds?: RouteGroupKind[];
}

export interface Listener {
  name: string;
  hostname?: string;
  port: number;
  protocol: ProtocolType;
  tls?: GatewayTLSConfig;
  allowedRoutes?: AllowedRoutes;
}

export interface GatewayAddress {
  type?: "IPAddress" | "Hostname" | string;
  value: string;
}

export interface ListenerStatus {
  name: string;
  supportedKinds: RouteGroupKind[];
  attachedRoutes: number;
  conditions: Condition[];
}

export interface GatewayStatus {
  addresses?: GatewayAddress[];
  conditions?: Condition[];
  listeners?: ListenerStatus[];
}

export interface Gateway extends KubeObject {
  kind: "Gateway";
  spec: {
    gatewayClassName: string;
    listeners: Listener[];
    addresses?: GatewayAddress[];
    infrastructure?: GatewayInfrastructure;
    /** `spec.tls`: the backend client certificate and the frontend (client) validation. */
    tls?: {
      backend?: { clientCertificateRef?: SecretObjectReference };
      frontend?: {
        default?: { validation?: FrontendValidation };
        perPort?: { port: number; tls: { validation?: FrontendValidation } }[];
      };
    };
  };
  status?: GatewayStatus;
}

/** `GatewayInfrastructure`: metadata for provisioned resources, and their parameters. */
export interface GatewayInfrastructure {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  parametersRef?: { group: string; kind: string; name: string };
}

// ---------------------------------------------------------------- HTTPRoute

export interface ParentReference {
  /** Default `gateway.networking.k8s.io`. */
  group?: string;
  /** Default `Gateway`. */
  kind?: string;
  /** Default: the route's namespace. */
  namespace?: string;
  name: string;
  sectionName?: string;
  port?: number;
}

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

export interface LocalObjectReference {
  group: string;
  kind: string;
  name: string;
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

export interface BackendObjectReference {
  /** Default core group (`""`). */
  group?: string;
  /** Default `Service`. */
  kind?: string;
  name: string;
  namespace?: string;
  port?: number;
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

export interface RouteParentStatus {
  parentRef: ParentReference;
  controllerName: string;
  conditions: Condition[];
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

// ---------------------------------------------------------------- ReferenceGrant

export interface ReferenceGrant extends KubeObject {
  kind: "ReferenceGrant";
  spec: {
    from: { group: string; kind: string; namespace: string }[];
    to: { group: string; kind: string; name?: string }[];
  };
}

// ---------------------------------------------------------------- BackendTLSPolicy

/** `spec.validation.subjectAltNames[]` of a BackendTLSPolicy. */
export interface SubjectAltName {
  type: "Hostname" | "URI";
  hostname?: string;
  uri?: string;
}

export interface BackendTLSPolicy extends KubeObject {
  kind: "BackendTLSPolicy";
  spec: {
    targetRefs: { group: string; kind: string; name: string; sectionName?: string }[];
    validation: {
      caCertificateRefs?: { group: string; kind: string; name: string }[];
      wellKnownCACertificates?: string;
      hostname: string;
      subjectAltNames?: SubjectAltName[];
    };
    options?: Record<string, string>;
  };
  status?: { ancestors?: { controllerName: string }[] };
}

// ---------------------------------------------------------------- core and discovery

/** A ConfigMap: BackendTLSPolicy CA bundles live under the key `ca.crt`. */
export interface ConfigMap extends KubeObject {
  kind: "ConfigMap";
  data?: Record<string, string>;
}

export interface ServicePort {
  name?: string;
  protocol?: string;
  appProtocol?: string;
  port: number;
  targetPort?: number | string;
}

export interface Service extends KubeObject {
  kind: "Service";
  spec: {
    type?: string;
    clusterIP?: string;
    ports?: ServicePort[];
    selector?: Record<string, string>;
    externalName?: string;
  };
  status?: { loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] } };
}

export interface EndpointPort {
  name?: string;
  port?: number;
  protocol?: string;
  appProtocol?: string;
}

export interface Endpoint {
  addresses: string[];
  conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean };
  hostname?: string;
  nodeName?: string;
  zone?: string;
}

export interface EndpointSlice extends KubeObject {
  kind: "EndpointSlice";
  /** `IPv4`, `IPv6` or `FQDN`. */
  addressType: string;
  endpoints?: Endpoint[];
  ports?: EndpointPort[];
}

export interface Secret extends KubeObject {
  kind: "Secret";
  type?: string;
  /** Base64-encoded values, as the API serves them. */
  data?: Record<string, string>;
  /** Plain values (manifests may use this; the API server folds it into `data`). */
  stringData?: Record<string, string>;
}

export interface Namespace extends KubeObject {
  kind: "Namespace";
}

/** Every kind the gateway reads. */
export type GatewayResource =
  | GatewayClass
  | Gateway
  | HTTPRoute
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
  "HTTPRoute",
  "ReferenceGrant",
  "BackendTLSPolicy",
  "Service",
  "EndpointSlice",
  "Secret",
  "ConfigMap",
  "Namespace",
]);
