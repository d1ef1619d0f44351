/**
 * The fields of the Gateway API kinds the gateway reads (GatewayClass,
 * Gateway, ListenerSet, HTTPRoute, GRPCRoute, TLSRoute, ReferenceGrant,
 * BackendTLSPolicy), as the experimental channel's CRDs of the release the
 * conformance rig pins define them: a field name a manifest misspells
 * (`matchs`) is then reported instead of being dropped, which would turn a
 * rule into a catch-all. The API server prunes unknown fields itself, so
 * this only changes what the files source and `translate` accept. A test
 * compares these trees with the CRDs from the Go module cache.
 * @module
 */

/**
 * A field's shape: `"leaf"` (a scalar, or a list of scalars), `"map"` (free
 * keys: labels, annotations, TLS options, metadata, status), an object with
 * known fields, or a list of one item shape (`[item]`).
 */
export type FieldShape = "leaf" | "map" | FieldObject | [FieldShape];
/** An object with known fields. */
export interface FieldObject {
  readonly [field: string]: FieldShape;
}

const L = "leaf" as const;
const M = "map" as const;

const PARENT_REF = { group: L, kind: L, name: L, namespace: L, port: L, sectionName: L };
const OBJECT_REF = { group: L, kind: L, name: L, namespace: L };
const BACKEND_OBJECT_REF = { ...OBJECT_REF, port: L };
const HEADERS = [{ name: L, value: L }] as [FieldShape];
const HEADER_MODIFIER = { add: HEADERS, set: HEADERS, remove: L };
const PATH_MODIFIER = { type: L, replaceFullPath: L, replacePrefixMatch: L };
const LABEL_SELECTOR: FieldObject = {
  matchLabels: M,
  matchExpressions: [{ key: L, operator: L, values: L }],
};
const ROUTE_NAMESPACES: FieldObject = { from: L, selector: LABEL_SELECTOR };
const LISTENER: FieldObject = {
  name: L,
  hostname: L,
  port: L,
  protocol: L,
  tls: { mode: L, certificateRefs: [OBJECT_REF], options: M },
  allowedRoutes: { kinds: [{ group: L, kind: L }], namespaces: ROUTE_NAMESPACES },
};
const CA_VALIDATION = { caCertificateRefs: [OBJECT_REF], mode: L } as FieldObject;

const HTTP_FILTER: FieldObject = {
  type: L,
  requestHeaderModifier: HEADER_MODIFIER,
  responseHeaderModifier: HEADER_MODIFIER,
  requestMirror: {
    backendRef: BACKEND_OBJECT_REF,
    fraction: { numerator: L, denominator: L },
    percent: L,
  },
  requestRedirect: { scheme: L, hostname: L, path: PATH_MODIFIER, port: L, statusCode: L },
  urlRewrite: { hostname: L, path: PATH_MODIFIER },
  cors: {
    allowOrigins: L,
    allowMethods: L,
    allowHeaders: L,
    exposeHeaders: L,
    maxAge: L,
    allowCredentials: L,
  },
  externalAuth: {
    protocol: L,
    backendRef: BACKEND_OBJECT_REF,
    grpc: { allowedHeaders: L },
    http: { path: L, allowedHeaders: L, allowedResponseHeaders: L },
    forwardBody: { maxSize: L },
  },
  extensionRef: { group: L, kind: L, name: L },
};

const KEY_VALUE_MATCH = [{ type: L, name: L, value: L }] as [FieldShape];

const HTTP_ROUTE_RULE: FieldObject = {
  name: L,
  matches: [{
    path: { type: L, value: L },
    headers: KEY_VALUE_MATCH,
    queryParams: KEY_VALUE_MATCH,
    method: L,
  }],
  filters: [HTTP_FILTER],
  backendRefs: [{ ...BACKEND_OBJECT_REF, weight: L, filters: [HTTP_FILTER] }],
  timeouts: { request: L, backendRequest: L },
  retry: { codes: L, attempts: L, backoff: L },
  sessionPersistence: {
    sessionName: L,
    absoluteTimeout: L,
    type: L,
    cookieConfig: { lifetimeType: L },
  },
};

const GRPC_FILTER: FieldObject = {
  type: L,
  requestHeaderModifier: HEADER_MODIFIER,
  responseHeaderModifier: HEADER_MODIFIER,
  requestMirror: HTTP_FILTER.requestMirror,
  extensionRef: HTTP_FILTER.extensionRef,
};

const GRPC_ROUTE_RULE: FieldObject = {
  name: L,
  matches: [{ method: { type: L, service: L, method: L }, headers: KEY_VALUE_MATCH }],
  filters: [GRPC_FILTER],
  backendRefs: [{ ...BACKEND_OBJECT_REF, weight: L, filters: [GRPC_FILTER] }],
  sessionPersistence: HTTP_ROUTE_RULE.sessionPersistence,
};

function kind(spec: FieldObject): FieldObject {
  return { apiVersion: L, kind: L, metadata: M, spec, status: M };
}

/** The known fields of each checked kind, from the object's top level. */
export const KNOWN_FIELDS: Readonly<Record<string, FieldObject>> = {
  GatewayClass: kind({
    controllerName: L,
    description: L,
    parametersRef: { group: L, kind: L, name: L, namespace: L },
  }),
  Gateway: kind({
    gatewayClassName: L,
    addresses: [{ type: L, value: L }],
    allowedListeners: { namespaces: ROUTE_NAMESPACES },
    defaultScope: L,
    infrastructure: {
      annotations: M,
      labels: M,
      parametersRef: { group: L, kind: L, name: L },
    },
    listeners: [LISTENER],
    tls: {
      backend: { clientCertificateRef: OBJECT_REF },
      frontend: {
        default: { validation: CA_VALIDATION },
        perPort: [{ port: L, tls: { validation: CA_VALIDATION } }],
      },
    },
  }),
  ListenerSet: kind({
    parentRef: OBJECT_REF,
    listeners: [LISTENER],
  }),
  HTTPRoute: kind({
    parentRefs: [PARENT_REF],
    hostnames: L,
    rules: [HTTP_ROUTE_RULE],
    useDefaultGateways: L,
  }),
  GRPCRoute: kind({
    parentRefs: [PARENT_REF],
    hostnames: L,
    rules: [GRPC_ROUTE_RULE],
    useDefaultGateways: L,
  }),
  TLSRoute: kind({
    parentRefs: [PARENT_REF],
    hostnames: L,
    rules: [{ name: L, backendRefs: [{ ...BACKEND_OBJECT_REF, weight: L }] }],
    useDefaultGateways: L,
  }),
  BackendTLSPolicy: kind({
    targetRefs: [{ group: L, kind: L, name: L, sectionName: L }],
    validation: {
      caCertificateRefs: [{ group: L, kind: L, name: L }],
      wellKnownCACertificates: L,
      hostname: L,
      subjectAltNames: [{ type: L, hostname: L, uri: L }],
    },
    options: M,
  }),
  ReferenceGrant: kind({
    from: [{ group: L, kind: L, namespace: L }],
    to: [{ group: L, kind: L, name: L }],
  }),
};

/** Every kind of `gateway.networking.k8s.io`, read by the gateway or not. */
export const GATEWAY_API_KINDS: readonly string[] = [
  "BackendTLSPolicy",
  "GRPCRoute",
  "Gateway",
  "GatewayClass",
  "HTTPRoute",
  "ListenerSet",
  "ReferenceGrant",
  "TCPRoute",
  "TLSRoute",
  "UDPRoute",
];
