/**
 * The command-line flags: one table that drives parsing, the `SERVAL_*`
 * environment fallback and `--help`, so the three can never disagree.
 * @module
 */

/** One flag of the `run` (and `translate`) command. */
export interface FlagSpec {
  /** Long name without dashes, e.g. `admin-addr`. */
  name: string;
  type: "string" | "boolean";
  /** May be given several times (`string` only); the env value is comma-separated. */
  multiple?: boolean;
  /** Placeholder in `--help` (`HOST:PORT`). */
  placeholder?: string;
  /** Default shown in `--help`. */
  defaultText?: string;
  help: string;
}

/** Every flag, in `--help` order. */
export const FLAGS: readonly FlagSpec[] = [
  {
    name: "source",
    type: "string",
    placeholder: "auto|kube|files",
    defaultText: "auto",
    help:
      "auto: in-cluster if KUBERNETES_SERVICE_HOST is set, else files if --manifests is given, else kubeconfig",
  },
  {
    name: "manifests",
    type: "string",
    placeholder: "DIR",
    help: "directory of YAML manifests (files source), watched for changes",
  },
  {
    name: "kubeconfig",
    type: "string",
    placeholder: "PATH",
    defaultText: "$KUBECONFIG, then ~/.kube/config",
    help: "kubeconfig for the kube source outside a cluster",
  },
  {
    name: "controller-name",
    type: "string",
    placeholder: "NAME",
    defaultText: "gateway.serval.dev/controller",
    help: "GatewayClass spec.controllerName this gateway implements",
  },
  {
    name: "listen-host",
    type: "string",
    placeholder: "ADDR",
    defaultText: "0.0.0.0",
    help:
      "where data-plane listeners bind (with --gateway-address-pool: each Gateway's own address)",
  },
  {
    name: "admin-addr",
    type: "string",
    placeholder: "HOST:PORT",
    defaultText: "127.0.0.1:9901",
    help: "admin API (/healthz /readyz /config /reload /metrics /explain)",
  },
  {
    name: "admin-token-file",
    type: "string",
    placeholder: "PATH",
    help: "admin API asks for Authorization: Bearer <token>, one token a line, re-read on change",
  },
  {
    name: "admin-tls-cert",
    type: "string",
    placeholder: "PATH",
    help: "serve the admin API over TLS with this PEM certificate chain (with --admin-tls-key)",
  },
  {
    name: "admin-tls-key",
    type: "string",
    placeholder: "PATH",
    help: "PEM private key of --admin-tls-cert",
  },
  {
    name: "admin-client-ca",
    type: "string",
    placeholder: "PATH",
    help: "admin API clients must present a certificate this PEM CA bundle signed (mutual TLS)",
  },
  {
    name: "admin-allowed-host",
    type: "string",
    multiple: true,
    placeholder: "NAME",
    help: "host name the admin API answers besides IPs and localhost (repeatable)",
  },
  {
    name: "telemetry-addr",
    type: "string",
    placeholder: "HOST:PORT",
    defaultText: "0.0.0.0:9902",
    help: 'probes and metrics for kubelet and Prometheus ("off" disables)',
  },
  {
    name: "log-level",
    type: "string",
    placeholder: "debug|info|warn|error",
    defaultText: "info",
    help: "lowest level written",
  },
  {
    name: "log-format",
    type: "string",
    placeholder: "json|text",
    defaultText: "json",
    help: "one JSON object a line, or human-readable text",
  },
  {
    name: "upstream-timeout",
    type: "string",
    placeholder: "DURATION",
    defaultText: "15s",
    help: "upstream request timeout when a route sets none",
  },
  {
    name: "upstream-send-timeout",
    type: "string",
    placeholder: "DURATION",
    defaultText: "60s",
    help: "longest wait for a backend to take more of a request (its head or body); then 504, " +
      "or the connections closed once the response began (0s: none)",
  },
  {
    name: "underscore-headers",
    type: "string",
    placeholder: "drop|reject|allow",
    defaultText: "drop",
    help: "request header names with _ (X_Internal): dropped, refused with 400, or forwarded",
  },
  {
    name: "xff-trusted-hops",
    type: "string",
    placeholder: "N",
    defaultText: "0",
    help: "proxies in front trusted to append X-Forwarded-For (0: a client's value is dropped)",
  },
  {
    name: "path-escaped-slashes",
    type: "string",
    placeholder: "MODE",
    defaultText: "keep",
    help: "paths holding %2F or %5C: keep (when unambiguous), redirect (307), reject or unescape",
  },
  {
    name: "access-log",
    type: "string",
    placeholder: "on|off",
    defaultText: "off",
    help: "one JSON line per request (level info); sends x-request-id upstream when absent",
  },
  {
    name: "drain-delay",
    type: "string",
    placeholder: "DURATION",
    defaultText: "5s",
    help: "after SIGTERM, /readyz is 503 and listeners keep accepting this long",
  },
  {
    name: "shutdown-timeout",
    type: "string",
    placeholder: "DURATION",
    defaultText: "25s",
    help: "after the drain delay, longest wait for in-flight requests",
  },
  {
    name: "max-connections",
    type: "string",
    placeholder: "N|auto",
    defaultText: "auto",
    help:
      "open client connections across all data-plane ports; more are closed at once (auto: none until descriptors run out, then 3/4 of those open)",
  },
  {
    name: "max-connections-per-port",
    type: "string",
    placeholder: "N",
    defaultText: "0 (none)",
    help: "open client connections on one data-plane port",
  },
  {
    name: "client-header-timeout",
    type: "string",
    placeholder: "DURATION",
    defaultText: "10s",
    help: "a new connection must send a complete request head within this (0s: none)",
  },
  {
    name: "client-idle-timeout",
    type: "string",
    placeholder: "DURATION",
    defaultText: "60s",
    help: "a kept-alive connection must send its next request head within this (0s: none)",
  },
  {
    name: "client-body-timeout",
    type: "string",
    placeholder: "DURATION",
    defaultText: "30s",
    help: "longest pause in a request body before 408 (0s: none)",
  },
  {
    name: "client-stream-timeout",
    type: "string",
    placeholder: "DURATION",
    defaultText: "0s (none)",
    help: "longest time from a request head to the end of its response",
  },
  {
    name: "http1-engine",
    type: "string",
    placeholder: "own|deno",
    defaultText: "own",
    help: "who serves HTTP/1.1 on HTTP and HTTPS ports: own = the gateway's own HTTP/1.1 " +
      "server over the socket, deno = Deno's HTTP engine",
  },
  {
    name: "sockets",
    type: "string",
    placeholder: "auto|libc|deno",
    defaultText: "auto",
    help: "whose sockets carry plain HTTP ports our own HTTP/1.1 server serves and " +
      "cleartext HTTP/1.1 backend connections: libc = libc's through FFI (epoll), " +
      "deno = Deno's, auto = libc's where libc opens",
  },
  {
    name: "upgrades",
    type: "string",
    placeholder: "auto|on|off",
    defaultText: "auto",
    help: "pass HTTP/1.1 upgrades (WebSocket) through on HTTP and HTTPS ports: auto = " +
      "ports whose routes reach a kubernetes.io/ws or wss backend",
  },
  {
    name: "max-upgraded-connections",
    type: "string",
    placeholder: "N",
    defaultText: "1000",
    help: "upgraded (WebSocket) connections open at once; past it an upgrade gets 503",
  },
  {
    name: "upgrade-idle-timeout",
    type: "string",
    placeholder: "DURATION",
    defaultText: "5m",
    help: "close an upgraded connection after this long without a byte either way",
  },
  {
    name: "workers",
    type: "string",
    placeholder: "N|auto",
    defaultText: "1",
    help: "data-plane workers sharing each HTTP and HTTPS port (auto: one per CPU)",
  },
  {
    name: "leader-elect",
    type: "boolean",
    defaultText: "true in a pod, else false",
    help: "only the elected replica writes status (--no-leader-elect or =false to disable)",
  },
  {
    name: "leader-election-namespace",
    type: "string",
    placeholder: "NS",
    defaultText: "the pod's namespace, else default",
    help: "namespace of the leader-election Lease",
  },
  {
    name: "leader-election-lease-duration",
    type: "string",
    placeholder: "DURATION",
    defaultText: "15s",
    help: "how long a Lease not renewed by its holder keeps the others waiting",
  },
  {
    name: "leader-election-renew-deadline",
    type: "string",
    placeholder: "DURATION",
    defaultText: "10s",
    help: "the leader steps down when it cannot renew within this (less than the lease duration)",
  },
  {
    name: "leader-election-retry-period",
    type: "string",
    placeholder: "DURATION",
    defaultText: "2s",
    help: "time between attempts to acquire or renew the Lease (less than the renew deadline)",
  },
  {
    name: "gateway-address",
    type: "string",
    multiple: true,
    placeholder: "ADDR",
    help: "address published in Gateway status.addresses (repeatable; env: comma-separated)",
  },
  {
    name: "gateway-service",
    type: "string",
    placeholder: "NS/NAME",
    help: "publish this Service's load-balancer addresses in Gateway status",
  },
  {
    name: "gateway-address-pool",
    type: "string",
    placeholder: "CIDR",
    help: "give each Gateway its own address from CIDR: listeners bind there, status publishes it",
  },
];

/** The environment variable a flag reads: `admin-addr` → `SERVAL_ADMIN_ADDR`. */
export function envName(flag: string): string {
  return `SERVAL_${flag.toUpperCase().replaceAll("-", "_")}`;
}
