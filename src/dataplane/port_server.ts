/**
 * The seam between the listener manager and the code that owns a socket:
 * one factory per protocol. The manager hands a factory the port, the
 * handler and (for HTTPS and TLS) the port's listeners and certificates; the factory
 * binds and returns a {@linkcode PortServer}, or throws when it cannot bind.
 * @module
 */
import type { Logger } from "../log/logger.ts";
import type { CertificateConfig, PortConfig } from "../model/config.ts";
import type { ConnectionWatcher } from "./client_timeouts.ts";
import {
  type ConnectionBudget,
  type ConnectionServer,
  type ConnectionServerOptions,
  serveConnections,
} from "./connection_server.ts";
import type { DataPlaneHandler } from "./handler.ts";
import type { FieldsHandler } from "./field_headers.ts";
import { grpcConnectionOverride, type GrpcPortKind, h2Reporting } from "./grpc_port.ts";
import { engineRelay } from "./mixed_port_relay.ts";
import { UpgradeDiversion } from "./upgrade_diversion.ts";
import { UpgradeLimits } from "./upgrade_wire.ts";
import { DEFAULT_CLIENT_TIMEOUTS, DEFAULT_UPGRADE_SETTINGS } from "./client_timeouts.ts";
import type { BackendPicker } from "./backend_picker.ts";
import type { DataPlaneObserver } from "./observer.ts";
import type { UpgradePortOptions } from "./upgrade_diversion.ts";
import type { Http1Engine, SocketsSetting } from "./client_timeouts.ts";
import { listenForOwnServer } from "./libc_sockets.ts";
import { ownH1Engine, ownH1Relay } from "./own_h1_engine.ts";

/** Everything a factory needs to serve one port. */
export interface PortServeContext {
  port: number;
  /** Address to bind (`--listen-host`). */
  hostname: string;
  /**
   * Set `SO_REUSEPORT`, so several workers of one process share the port
   * and the kernel spreads connections over them (`--workers`).
   */
  reusePort?: boolean;
  /** The data-plane handler for this port. */
  handler: DataPlaneHandler;
  /** Its fast path for the own HTTP/1.1 server (`createDataPlaneHandlers`); absent: none. */
  fields?: FieldsHandler;
  /** The port's listeners (hostnames, certificate ids) from the current config. */
  portConfig: PortConfig;
  /** Every certificate of the current config (HTTPS picks the ones it needs). */
  certificates: CertificateConfig[];
  logger: Logger;
  /** Shared connection limit of the data plane; absent: none. */
  budget?: ConnectionBudget;
  /** Connection limit of this port alone; `0` or absent: none. */
  maxConnections?: number;
  /** Client timeouts; absent: none. */
  watcher?: ConnectionWatcher;
  /**
   * Whether the port has GRPCRoutes right now, and only those; its
   * HTTP/2 connections are then served by our own server (`grpc_port.ts`).
   */
  grpcKind?: () => GrpcPortKind;
  /** The data plane's backend picker (TLS Passthrough ports pick backends themselves). */
  picker?: BackendPicker;
  /** Metrics hooks; absent: none. */
  observer?: DataPlaneObserver;
  /** How ports pass HTTP/1.1 upgrades through (`--upgrades`); absent: they do not. */
  upgrades?: UpgradePortOptions;
  /**
   * Who serves HTTP/1.1 on HTTP and HTTPS ports (`--http1-engine`); absent:
   * our own server on both (its fast path measured less CPU per request
   * than Deno's engine).
   */
  http1Engine?: Http1Engine;
  /**
   * Whose sockets the port's connections are on when our own server
   * serves them (`--sockets`, `libc_sockets.ts`); absent: the default.
   */
  sockets?: SocketsSetting;
}

/** A bound port. */
export interface PortServer {
  /** Stops accepting, then resolves once in-flight requests finished. */
  shutdown(): Promise<void>;
  /** The process is going away: answers ask clients to close (`Connection: close`). */
  drain?(): void;
  /**
   * A new config for the same port and protocol (e.g. other certificates);
   * absent when the server has nothing to update.
   */
  update?(portConfig: PortConfig, certificates: CertificateConfig[]): void | Promise<void>;
}

/** Binds a port; throws (or rejects) when it cannot, e.g. port in use or no permission. */
export type PortServerFactory = (context: PortServeContext) => PortServer | Promise<PortServer>;

/**
 * The plain HTTP factory: HTTP/1.1, and h2c by prior knowledge, on the port,
 * through the gateway's own accept loop (`connection_server.ts`), so the
 * port's connections are limited and timed out and an accept error never
 * escapes.
 *
 * @example
 * ```ts
 * import { type PortServeContext, serveHttp } from "./port_server.ts";
 * declare const context: PortServeContext;
 * const server = serveHttp(context);
 * await server.shutdown();
 * ```
 */
export function serveHttp(context: PortServeContext): PortServer {
  // The relay below outlives this call: it reads these, not the context,
  // whose port config (every host of the generation that bound the port)
  // would otherwise stay alive for the port's life.
  const { logger, port, watcher } = context;
  const { address } = context.portConfig;
  const onError = internalErrorResponder(context);
  // Made at the first HTTP/1.1 connection of a port that mixes GRPCRoutes with other routes.
  let diversion: UpgradeDiversion | undefined;
  let draining = false;
  const relay = () => {
    if (diversion !== undefined) return diversion;
    diversion = new UpgradeDiversion({
      upgrades: {
        mode: "on",
        getTable: () => undefined,
        limits: new UpgradeLimits(
          DEFAULT_UPGRADE_SETTINGS.maxConnections,
          DEFAULT_UPGRADE_SETTINGS.idleMs,
        ),
        headerTimeoutMs: DEFAULT_CLIENT_TIMEOUTS.headerMs,
      },
      port,
      address,
      scheme: "http",
      logger: logger.child({ port }),
      watcher,
      onError,
      // This factory serves ports of a gateway that does not pass upgrades through.
      tunnels: false,
    });
    if (draining) diversion.drain();
    return diversion;
  };
  const server = servePlainConnections(context, onError, relay);
  return {
    shutdown: async () => {
      await Promise.all([server.shutdown(), diversion?.shutdown()]);
    },
    drain: () => {
      draining = true;
      server.drain();
      diversion?.drain();
    },
  };
}

/** The answer to a request whose handling threw: a log line and a bare 500. */
export function internalErrorResponder(context: PortServeContext): (error: unknown) => Response {
  const { logger, port } = context;
  return (error) => {
    logger.error("request handling failed", { port, error });
    return new Response("Internal error\n", { status: 500 });
  };
}

/**
 * Binds a plain HTTP port and runs its accept loop with the context's limits
 * and timeouts. On a socket with GRPCRoutes, connections that open with the
 * HTTP/2 preface go to our HTTP/2 server and the others to the engine behind
 * `diversion` (`mixed_port_relay.ts`), or on the own HTTP/1.1 server (the
 * default) and without `divert`, straight to it; `divert` takes connections
 * before the engine (upgrade ports).
 */
export function servePlainConnections(
  context: PortServeContext,
  onError: (error: unknown) => Response,
  diversion: () => UpgradeDiversion,
  divert?: ConnectionServerOptions["divert"],
): ConnectionServer {
  const { port } = context;
  const log = context.logger.child({ port });
  // Absent: the own server, the default of plain ports.
  const own = context.http1Engine !== "deno";
  const { hostname, reusePort } = context;
  return serveConnections({
    // Deno's engine needs a genuine Deno socket; our own server reads and writes bytes on any.
    listener: own
      ? listenForOwnServer({ hostname, port, reusePort, sockets: context.sockets })
      : Deno.listen({ port, hostname, ...(reusePort ? { reusePort: true } : {}) }),
    handler: context.handler,
    onError,
    logger: log,
    budget: context.budget,
    maxConnections: context.maxConnections,
    watcher: context.watcher,
    ...(context.grpcKind
      ? {
        override: grpcConnectionOverride(
          context.grpcKind,
          // A port that passes upgrades relays through its diversion, where
          // an upgrade request is taken out; else the own server needs no relay.
          own && divert === undefined ? ownH1Relay(onError) : engineRelay(diversion),
          h2Reporting(log, context.observer),
        ),
      }
      : {}),
    ...(divert ? { divert } : {}),
    ...(own
      ? { fields: context.fields, engine: ownH1Engine("http", h2Reporting(log, context.observer)) }
      : {}),
  });
}
