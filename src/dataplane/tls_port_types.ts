/**
 * The face of an HTTPS port (`tls_port_server.ts`): how it learns each
 * connection's listener, what it is given, and what its owner may ask of it.
 * @module
 */
import type { Http1Engine } from "./client_timeouts.ts";
import type { Logger } from "../log/logger.ts";
import type { RouteTable } from "../router/router.ts";
import type { ConnectionWatcher } from "./client_timeouts.ts";
import type { ConnectionBudget } from "./connection_server.ts";
import type { GrpcPortKind } from "./grpc_port.ts";
import type { DataPlaneObserver } from "./observer.ts";
import type { FieldsHandler } from "./field_headers.ts";
import type { SniCertificates } from "./sni.ts";
import type { TlsConnectionHandler } from "./tls_server.ts";
import type { UpgradePortOptions } from "./upgrade_diversion.ts";

/** How a connection's listener is known; see `tls_port_server.ts`. */
export type SniSource = "client-hello" | "handshake" | "client-handshake" | "first-request";

/** How a `client-handshake` port asks for client certificates (`tls_handshake_door.ts`). */
export type ClientCertificateDemand = "required" | "requested";

/** Options of `serveTlsPort` (`tls_port_server.ts`). */
export interface TlsPortServerOptions {
  /** Bind address. */
  hostname: string;
  /** `0` picks a free port (tests). */
  port: number;
  /** The pool address of the port (`PortConfig.address`), for table lookups; absent: shared. */
  address?: string;
  /** The first certificate choice. */
  certificates: SniCertificates;
  /** The current table, for 421 decisions; `undefined`: no check. */
  getTable: () => RouteTable | undefined;
  /** The data-plane handler for this port. */
  handler: TlsConnectionHandler;
  /** Its fast path, for connections our HTTP/1.1 server serves (`--http1-engine own`); absent: none. */
  fields?: FieldsHandler;
  logger?: Logger;
  /** Distinct server names one listener resolves before it is replaced. Default 1000. */
  maxResolvedNames?: number;
  /**
   * Bind the public socket with `SO_REUSEPORT`. `client-hello`: the front
   * door, so the workers of one process share the port (default false).
   * `first-request`: the TLS listener, which also lets a rotation bind the new
   * listener before closing the old one (default: when `--unstable-net`
   * allows it).
   */
  reusePort?: boolean;
  /** Default `client-hello`. */
  sniSource?: SniSource;
  /**
   * With `client-handshake`: whether a handshake without a certificate that
   * verifies fails (`required`, every listener `AllowValidOnly`) or completes
   * and is judged by its listener's mode (`requested`, the default).
   */
  clientCertificates?: ClientCertificateDemand;
  /** Shared limit of client connections (the data plane's). */
  budget?: ConnectionBudget;
  /** Limit of this port alone; `0` or absent: none. */
  maxConnections?: number;
  /** Client timeouts; absent: none. */
  watcher?: ConnectionWatcher;
  /** The longest handshake of a listener validating client certificates, in ms. Default 10 000. */
  clientAuthHandshakeTimeoutMs?: number;
  /** Pass HTTP/1.1 upgrades through (`wss://`) as `--upgrades` says; absent: never. */
  upgrades?: UpgradePortOptions;
  /** Whether the port has GRPCRoutes now: its `h2` connections get our HTTP/2 server. */
  grpcKind?: () => GrpcPortKind;
  /** Metrics hooks (our HTTP/2 server's connection errors); absent: none. */
  observer?: DataPlaneObserver;
  /** Who serves the port's HTTP/1.1 connections (`--http1-engine`); absent: our own server. */
  http1Engine?: Http1Engine;
}

/** A running HTTPS port. */
export interface TlsPortServer {
  /** The bound address (with `handshake`, once {@linkcode TlsPortServer.ready} settled). */
  readonly addr: Deno.NetAddr;
  /** Settles once the port is bound; rejects when it cannot be (a later bind: `handshake`). */
  readonly ready: Promise<void>;
  readonly sniSource: SniSource;
  /** With `client-handshake`: how its handshakes ask for client certificates. */
  readonly clientCertificates?: ClientCertificateDemand;
  /** Listeners bound so far (1 + rotations). */
  readonly generation: number;
  /** Open client connections. */
  connections(): number;
  /**
   * Serves new handshakes with `certificates` (same port). A no-op when the
   * fingerprint is unchanged. Rejects when the port cannot be rebound; the
   * previous listener then keeps serving when `SO_REUSEPORT` is available.
   */
  update(certificates: SniCertificates): Promise<void>;
  /**
   * Closes the public socket (and stops rotating); open connections keep
   * being served until `shutdown`. Settles once the port is released.
   */
  stopAccepting(): Promise<void>;
  /** Stops accepting, lets in-flight requests finish, closes idle connections. */
  shutdown(): Promise<void>;
}
