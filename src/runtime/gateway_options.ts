/**
 * Everything `runGateway` needs to know, already parsed and validated. The CLI
 * builds it from flags and `SERVAL_*` environment variables; tests build it
 * directly.
 * @module
 */
import type { RequestPolicy } from "../dataplane/request_policy.ts";
import type {
  ClientTimeouts,
  SocketsSetting,
  UpgradeSettings,
} from "../dataplane/client_timeouts.ts";
import type { LogFormat, LogLevel } from "../log/logger.ts";

/** A listening address for the admin or telemetry app. */
export interface BindAddress {
  hostname: string;
  port: number;
}

/** Where objects come from; `auto` is resolved by `resolveSourceKind`. */
export type SourceChoice = "auto" | "kube" | "files";

/** Options of `runGateway`. */
export interface GatewayOptions {
  source: SourceChoice;
  /** Directory of YAML manifests (files source). */
  manifests?: string;
  /** Path of a kubeconfig (kube source outside a cluster). */
  kubeconfig?: string;
  /** `GatewayClass.spec.controllerName` this gateway implements. */
  controllerName: string;
  /** Where data-plane listeners bind. */
  listenHost: string;
  adminAddr: BindAddress;
  /** Host names the admin API answers besides IP addresses and `localhost`. */
  adminAllowedHosts?: string[];
  /** File of bearer tokens (one a line) the admin API asks for; absent: none. */
  adminTokenFile?: string;
  /** Serve the admin API over TLS; with `clientCaFile`, only to clients it signed. */
  adminTls?: { certFile: string; keyFile: string; clientCaFile?: string };
  /** `null`: the telemetry listener is disabled (`--telemetry-addr off`). */
  telemetryAddr: BindAddress | null;
  logLevel: LogLevel;
  logFormat: LogFormat;
  /**
   * Underscore headers, `X-Forwarded-For` trust and escaped slashes; absent:
   * `DEFAULT_REQUEST_POLICY`.
   */
  requestPolicy?: RequestPolicy;
  /** Default upstream timeout when a route sets none, in milliseconds. */
  upstreamTimeoutMs: number;
  /**
   * Longest wait for a backend to take more of a request, in milliseconds
   * (`--upstream-send-timeout`); absent: 60 s; `0`: none.
   */
  upstreamSendTimeoutMs?: number;
  /** After SIGTERM: how long /readyz says 503 while listeners still accept. */
  drainDelayMs: number;
  /** After the drain delay: the longest wait for in-flight requests. */
  shutdownTimeoutMs: number;
  /**
   * Data-plane workers sharing each HTTP port (`--workers`); absent or 1:
   * the data plane runs in the main isolate, without any worker.
   */
  workers?: number;
  /**
   * Open client connections across the data plane (`--max-connections`);
   * `0` or absent: none until the process runs out of descriptors, then
   * three quarters of the connections open at that moment.
   */
  maxConnections?: number;
  /** Open client connections on one data-plane port; `0` or absent: no per-port limit. */
  maxConnectionsPerPort?: number;
  /** Client timeouts; absent: the defaults. */
  clientTimeouts?: ClientTimeouts;
  /** HTTP/1.1 upgrade (WebSocket) pass-through; absent: the defaults. */
  upgrades?: UpgradeSettings;
  /**
   * Who serves HTTP/1.1 on HTTP and HTTPS ports (`--http1-engine`); absent:
   * the own server on HTTP ports, Deno's engine on HTTPS ports.
   */
  http1Engine?: "own" | "deno";
  /**
   * Whose sockets carry plain HTTP ports our own server serves and
   * cleartext HTTP/1.1 backend connections (`--sockets`); absent: `auto`.
   */
  sockets?: SocketsSetting;
  /** Take part in leader election before writing status (kube source only). */
  leaderElect: boolean;
  /** Namespace of the election Lease; absent: the pod's namespace, else `default`. */
  leaderElectionNamespace?: string;
  /**
   * Leader-election timings in milliseconds; absent: 15 s, 10 s and 2 s, the
   * usual Kubernetes controller values.
   */
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** Addresses to publish in `Gateway.status.addresses` (IPs or host names). */
  gatewayAddresses: string[];
  /** A Service whose load-balancer addresses are published instead. */
  gatewayService?: { namespace: string; name: string };
  /**
   * An IPv4 or IPv6 CIDR (`--gateway-address-pool`): each Gateway gets its own
   * address from it and its listeners bind there; excludes `gatewayAddresses`
   * and `gatewayService`.
   */
  gatewayAddressPool?: string;
}

/** The default controller name (GatewayClass `spec.controllerName`). */
export const DEFAULT_CONTROLLER_NAME = "gateway.serval.dev/controller";
