/**
 * The output of `translate`: a JSON-serialisable description of what the data
 * plane serves (the "IR"), the status every object should have, and the
 * problems found. The router compiles a `GatewayConfig` into a matcher; the
 * admin `/config` endpoint prints it as is. Ids are stable and path-like:
 *
 * - listener: `gateway/<ns>/<name>/listener/<sectionName>`
 * - rule:     `httproute/<ns>/<name>/rule/<i>`
 * - match:    `httproute/<ns>/<name>/rule/<i>/match/<j>`
 * - TLS route rule: `tlsroute/<ns>/<name>/rule/0`
 * - backend:  `service/<ns>/<name>:<port>`
 * - certificate: `secret/<ns>/<name>`
 * @module
 */
import type { Condition } from "../resources/object_meta.ts";

/** Options of `translate`. Everything time- or environment-dependent comes in here. */
export interface TranslateOptions {
  /** `GatewayClass.spec.controllerName` this gateway implements. */
  controllerName: string;
  /** "Now", for certificate expiry checks (RFC 3339). Absent: expiry is not checked. */
  now?: string;
  /** Addresses to report in `Gateway.status.addresses`. */
  gatewayAddresses?: { type: "IPAddress" | "Hostname"; value: string }[];
  /**
   * An IPv4 or IPv6 CIDR (`--gateway-address-pool`): each Gateway gets its own
   * addresses from it, its listeners bind there, and `gatewayAddresses` is
   * not used. Absent: every Gateway shares the listen host and publishes
   * `gatewayAddresses`.
   */
  addressPool?: string;
}

/** Everything `translate` returns. All of it is frozen but the `statuses` list itself (each status is). */
export interface TranslateResult {
  config: GatewayConfig;
  /** Certificates the HTTPS listeners use, by id. Private keys live only here, never in `config`. */
  certificates: CertificateConfig[];
  statuses: ObjectStatus[];
  problems: Problem[];
}

/** What the data plane serves. */
export interface GatewayConfig {
  /** One entry per (address, port) a listener binds, sorted by port, then address. */
  ports: PortConfig[];
  /**
   * Rule actions by rule id, shared by every match of the rule; versions of
   * the map share their unchanged entries (JSON: an object with sorted keys).
   */
  rules: RuleMap;
}

/**
 * Rule configs by rule id, read-only (built by `rule_map.ts`); `toJSON`
 * gives them as an object with sorted keys (the `/config` dump).
 */
export interface RuleMap extends ReadonlyMap<string, RuleConfig> {
  /** The rules as a plain object with keys in sorted order. */
  toJSON(): Record<string, RuleConfig>;
}

/**
 * The socket a port binds, as a map key: `<address>|<port>`, the address
 * empty for the shared listen host. The same port on two pool addresses is
 * two sockets; the router, the listener manager and the worker pool all key
 * ports this way.
 *
 * @example
 * ```ts
 * import { socketKey } from "./config.ts";
 * socketKey({ address: "127.32.0.7", port: 80 }); // "127.32.0.7|80"
 * ```
 */
export function socketKey(socket: { address?: string; port: number }): string {
  return `${socket.address ?? ""}|${socket.port}`;
}

export interface PortConfig {
  /**
   * The address this port binds (one Gateway's pool address). Absent: the
   * gateway's listen host, shared by every Gateway.
   */
  address?: string;
  port: number;
  protocol: ListenerProtocol;
  /**
   * The listeners on this port, merged across Gateways, most specific hostname
   * first: exact hostnames, then wildcards with more labels first, then the one
   * without hostname. Listeners of several Gateways with the same hostname on the
   * same port are merged into one entry (`ids` lists them all).
   */
  listeners: ListenerConfig[];
}

/**
 * What a port speaks: `HTTP`, `HTTPS` (terminated here), or `TLS` (TLS
 * Passthrough: the ClientHello's SNI picks a TLSRoute and the encrypted
 * bytes go to its backend untouched).
 */
export type ListenerProtocol = "HTTP" | "HTTPS" | "TLS";

export interface ListenerConfig {
  /** Listener id of the first (oldest Gateway) listener merged here. */
  id: string;
  /** Every Gateway listener merged into this entry. */
  ids: string[];
  /** `null`: the listener has no hostname and matches any. */
  hostname: string | null;
  port: number;
  protocol: ListenerProtocol;
  /**
   * HTTPS, and TLS in mode Terminate (its presence on a TLS listener is what
   * says so): certificate ids, in `certificateRefs` order (the first is the
   * default), and the client-certificate validation of the listener's port.
   */
  tls?: { certificateIds: string[]; clientValidation?: ClientValidationConfig };
  /**
   * Route hostnames attached to this listener, each with its matches in
   * precedence order. Keys: exact hostnames, wildcards (`*.example.com`), and
   * `*` for routes that apply to any host of the listener. A request for host `h`
   * tries `h`, then the matching wildcards from most to least labels, then `*`;
   * the first match wins (the spec ranks exact hostnames before wildcards).
   */
  virtualHosts: VirtualHostConfig[];
  /**
   * TLS only: the TLSRoute hostnames attached to this listener, most specific
   * first (exact, then wildcards with more labels first, then `*`). A
   * connection whose SNI matches none is closed.
   */
  tlsHosts?: TlsHostConfig[];
}

/** Where TLS connections for one SNI hostname go (TLS Passthrough). */
export interface TlsHostConfig {
  /** Exact hostname, wildcard (`*.example.com`), or `*` for any. */
  hostname: string;
  /** `<ns>/<name>` of the TLSRoute. */
  route: string;
  /** The route's rule: weighted backends and the share of invalid ones (those connections are closed). */
  rule: RuleConfig;
}

/**
 * Client-certificate validation of an HTTPS listener
 * (`Gateway.spec.tls.frontend`, the listener port's entry or the default).
 */
export interface ClientValidationConfig {
  /**
   * `AllowValidOnly`: a client must present a certificate signed by one of
   * `caCertificates`. `AllowInsecureFallback`: a client is asked for one but
   * served without, or with one that fails verification.
   */
  mode: "AllowValidOnly" | "AllowInsecureFallback";
  /** The valid `caCertificateRefs`: `configmap/<ns>/<name>` or `secret/<ns>/<name>`. */
  caRefs: string[];
  /** PEM certificates trusted to sign client certificates, in reference order, once each. */
  caCertificates: string[];
}

export interface VirtualHostConfig {
  hostname: string;
  matches: MatchConfig[];
}

export type StringMatchType = "Exact" | "RegularExpression";

export interface MatchConfig {
  /** `httproute/<ns>/<name>/rule/<i>/match/<j>`. */
  id: string;
  /** Key into `GatewayConfig.rules`. */
  rule: string;
  /** `<ns>/<name>` of the HTTPRoute. */
  route: string;
  path: { type: "Exact" | "PathPrefix" | "RegularExpression"; value: string };
  method?: string;
  /** Header names lower-cased. */
  headers: { type: StringMatchType; name: string; value: string }[];
  queryParams: { type: StringMatchType; name: string; value: string }[];
  /**
   * GRPCRoute matches: the characters of the service and method they match,
   * which rank them (`precedence.ts`) instead of the path.
   */
  grpc?: { service: number; method: number };
}

export interface HeaderModifierConfig {
  /** Names as written by the user; matching is case-insensitive. */
  set: { name: string; value: string }[];
  add: { name: string; value: string }[];
  remove: string[];
}

export interface PathModifierConfig {
  type: "ReplaceFullPath" | "ReplacePrefixMatch";
  value: string;
}

export type FilterConfig =
  | { type: "RequestHeaderModifier"; modifier: HeaderModifierConfig }
  | { type: "ResponseHeaderModifier"; modifier: HeaderModifierConfig }
  | {
    type: "RequestRedirect";
    scheme?: "http" | "https";
    hostname?: string;
    port?: number;
    path?: PathModifierConfig;
    statusCode: 301 | 302 | 303 | 307 | 308;
  }
  | { type: "URLRewrite"; hostname?: string; path?: PathModifierConfig }
  | CorsConfig
  | MirrorConfig;

/** The `CORS` filter, with the spec's defaults filled in. */
export interface CorsConfig {
  type: "CORS";
  /** Origins as written (lower-cased); `*` alone allows any origin. */
  allowOrigins: string[];
  allowCredentials: boolean;
  /** Method names, or `["*"]`. */
  allowMethods: string[];
  /** Header names lower-cased, or `["*"]`. */
  allowHeaders: string[];
  exposeHeaders: string[];
  /** Seconds (`Access-Control-Max-Age`; the spec's default is 5). */
  maxAge: number;
}

/** A `RequestMirror` filter: a copy of each selected request goes to `backend`. */
export interface MirrorConfig {
  type: "RequestMirror";
  backend: BackendConfig;
  /** Share of requests mirrored: `numerator / denominator` (100/100 when unset). */
  fraction: { numerator: number; denominator: number };
}

export interface RuleConfig {
  id: string;
  /** Filters in the order the user wrote them. */
  filters: FilterConfig[];
  /** Valid backends with weight > 0. */
  backends: BackendConfig[];
  /**
   * Sum of weights of backendRefs that could not be resolved. That share of
   * requests gets 500, as the spec requires.
   */
  invalidWeight: number;
  /** Milliseconds; absent: the gateway's defaults. 0 disables. */
  timeouts?: { request?: number; backendRequest?: number };
  /** `rules[].retry`, with bounded defaults; absent: no retries. */
  retry?: RetryConfig;
  /**
   * A GRPCRoute rule: its backends speak gRPC over h2c, and failures the
   * gateway answers itself are gRPC statuses (HTTP 200 with `grpc-status`).
   */
  grpc?: true;
}

/** A rule's retry policy. */
export interface RetryConfig {
  /** Response statuses that are retried. */
  codes: number[];
  /** Retries after the first try. */
  attempts: number;
  /** Milliseconds to wait before a retry (the minimum; later waits double). */
  backoffMs: number;
}

export interface BackendConfig {
  /** `service/<ns>/<name>:<port>`. */
  id: string;
  weight: number;
  /**
   * `http` (HTTP/1.1), `h2c` (from `appProtocol: kubernetes.io/h2c`), `grpc`
   * (a GRPCRoute's backend: h2c, trailers passed through) or `tcp`: bytes
   * relayed as they come (TLS Passthrough).
   */
  protocol: "http" | "h2c" | "grpc" | "tcp";
  /** Ready endpoints, sorted; the EndpointSlice port (what is dialed). Empty: 503. */
  endpoints: { address: string; port: number }[];
  /** Per-backend filters (header modifiers only). */
  filters: FilterConfig[];
  /** TLS to the endpoints, from the BackendTLSPolicy of the Service port. Absent: cleartext. */
  tls?: BackendTlsConfig;
  /**
   * The Service port says `appProtocol: kubernetes.io/ws` (or `wss`): the listener ports
   * that reach it pass WebSocket upgrades through under `--upgrades auto`.
   */
  websocket?: true;
}

/** How the data plane opens TLS to a backend (a BackendTLSPolicy, resolved). */
export interface BackendTlsConfig {
  /** `backendtlspolicy/<ns>/<name>`; connections are pooled per policy. */
  policy: string;
  /** SNI, and the name the certificate must match unless `subjectAltNames` is set. */
  serverName: string;
  /** PEM CA certificates to trust; absent: the well-known (system) roots. */
  caCertificates?: string[];
  /** When set, the certificate must carry one of these instead of `serverName`. */
  subjectAltNames?: { type: "Hostname" | "URI"; value: string }[];
  /** Set when the policy's CA references are all invalid: every connection fails (502). */
  invalid?: string;
  /**
   * The Gateway's `spec.tls.backend.clientCertificateRef`, presented in the
   * handshake. `/config` redacts every `keyPem`.
   */
  clientCertificate?: { id: string; certPem: string; keyPem: string };
}

export interface CertificateConfig {
  /** `secret/<ns>/<name>`. */
  id: string;
  certPem: string;
  keyPem: string;
  /** DNS names (SAN) of the leaf certificate, for `/config`. */
  dnsNames: string[];
  notAfter: string;
}

/** The status `translate` wants an object to have. */
export interface ObjectStatus {
  kind:
    | "GatewayClass"
    | "Gateway"
    | "ListenerSet"
    | "HTTPRoute"
    | "GRPCRoute"
    | "TLSRoute"
    | "BackendTLSPolicy";
  /** Absent for GatewayClass. */
  namespace?: string;
  name: string;
  /** `metadata.generation` the status was computed from. */
  generation: number;
  /**
   * The status subresource body. For routes, only the `parents` entries whose
   * `controllerName` is ours; the status writer keeps other controllers' entries.
   * Conditions carry no `lastTransitionTime`: the writer sets it.
   */
  status: {
    conditions?: Condition[];
    listeners?: unknown[];
    addresses?: unknown[];
    /** Gateway: ListenerSets attached with `Accepted: True`. */
    attachedListenerSets?: number;
    parents?: unknown[];
    /** BackendTLSPolicy: one entry per Gateway of ours the policy affects. */
    ancestors?: unknown[];
    supportedFeatures?: unknown[];
  };
}

/** A mistake in the input, found by `translate` or by a source. */
export interface Problem {
  /** `<kind>/<ns>/<name>` (lower-case kind), or `file:<path>` for parse errors. */
  object: string;
  /** Field path inside the object, e.g. `spec.rules[0].matches[1].path.value`. */
  field?: string;
  message: string;
}
