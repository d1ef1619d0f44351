/**
 * One HTTPS port: TLS termination with per-handshake certificate choice
 * (`sni.ts`), HTTP/1.1 and HTTP/2 (ALPN), 421 for misdirected requests
 * (`sni_misdirected.ts`), and certificate rotation without restart.
 *
 * Two ways to learn which listener a connection belongs to
 * ({@linkcode SniSource}):
 *
 * - `client-hello` (default): the public socket is a front door
 *   (`tls_front_door.ts`) that reads each connection's SNI from its
 *   ClientHello and relays it to a TLS listener on loopback. A connection
 *   belongs to the listener its SNI selected, as the Gateway API asks.
 * - `first-request`: the TLS listener is the public socket (no relay, less
 *   CPU). Deno 2.9.6 does not tell the server a connection's SNI, so a
 *   connection belongs to the listener of its first request's Host: coalesced
 *   requests still get 421, but a first request whose Host differs from its
 *   SNI is routed by its Host.
 *
 * Rotation: Deno caches the certificate a listener chose for a server name
 * for the listener's lifetime, so a new certificate choice needs a new TLS
 * listener. Accepted connections are served on their own and outlive their
 * listener: they keep their certificate and their requests until the client
 * closes them. With `client-hello` only the loopback listener changes; the
 * public socket stays, and a relay reset while queued on the old listener
 * reconnects to the new one, so no connection attempt fails. With
 * `first-request` the new listener binds the public port next to the old one
 * (`SO_REUSEPORT`) before the old one closes; Linux resets the connects still
 * queued on the closing listener unless `net.ipv4.tcp_migrate_req=1`, and
 * without `--unstable-net` (no `SO_REUSEPORT`) the port is closed and rebound.
 * The same rotation bounds Deno's per-name cache: after `maxResolvedNames`
 * distinct server names a listener is replaced.
 * @module
 */
import type { Logger } from "../log/logger.ts";
import { silentLogger } from "../log/logger.ts";
import type { RouteTable } from "../router/router.ts";
import type { ConnectionWatcher } from "./client_timeouts.ts";
import {
  type ConnectionBudget,
  isOutOfDescriptors,
  shedForDescriptors,
  watchRequests,
} from "./connection_server.ts";
import { serveConnection as serveAccepted, type ServedConnection } from "./serve_connection.ts";
import type { SniCertificates } from "./sni.ts";
import {
  checkMisdirected,
  type ConnectionBinding,
  misdirectedResponse,
  requestHostname,
} from "./sni_misdirected.ts";
import { type FrontDoor, openFrontDoor } from "./tls_front_door.ts";
import { listenTlsWithSni, reusePortAvailable, type TlsConnectionHandler } from "./tls_server.ts";

/** How a connection's listener is known; see the module documentation. */
export type SniSource = "client-hello" | "first-request";

/** Options of {@linkcode serveTlsPort}. */
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
  /** Shared limit of client connections (the data plane's). */
  budget?: ConnectionBudget;
  /** Limit of this port alone; `0` or absent: none. */
  maxConnections?: number;
  /** Client timeouts; absent: none. */
  watcher?: ConnectionWatcher;
}

/** A running HTTPS port. */
export interface TlsPortServer {
  readonly addr: Deno.NetAddr;
  readonly sniSource: SniSource;
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
  /** Stops accepting, lets in-flight requests finish, closes idle connections. */
  shutdown(): Promise<void>;
}

interface Generation {
  listener: Deno.TlsListener;
  certificates: SniCertificates;
  resolvedNames: number;
  closed: boolean;
  accepting: Promise<void>;
}

interface LiveConnection {
  served: ServedConnection;
  /** Settles (never rejects) once the connection is closed. */
  finished: Promise<void>;
}

/**
 * Binds an HTTPS port and serves it. Throws when the port cannot be bound.
 *
 * @example
 * ```ts
 * import { serveTlsPort, type TlsPortServerOptions } from "./tls_port_server.ts";
 * import type { SniCertificates } from "./sni.ts";
 * declare const options: TlsPortServerOptions, renewed: SniCertificates;
 * const server = serveTlsPort(options);
 * await server.update(renewed);
 * await server.shutdown();
 * ```
 */
export function serveTlsPort(options: TlsPortServerOptions): TlsPortServer {
  const log = (options.logger ?? silentLogger).child({ component: "tls", port: options.port });
  const maxResolvedNames = options.maxResolvedNames ?? 1000;
  const sniSource = options.sniSource ?? "client-hello";
  const relayed = sniSource === "client-hello";
  const reusePort = !relayed && (options.reusePort ?? reusePortAvailable());
  const live = new Set<LiveConnection>();
  let generationCount = 0;
  let stopping = false;
  let port = options.port;
  let rotating: Promise<void> = Promise.resolve();

  const onError = (error: unknown): Response => {
    log.error("HTTPS request failed inside the server", { error: describe(error) });
    return new Response("Internal Server Error\n", { status: 500 });
  };

  /** Without a relay, limits are checked here (the front door checks them otherwise). */
  const admit = (): boolean => {
    const max = options.maxConnections ?? 0;
    if (max > 0 && live.size >= max) {
      options.budget?.rejectedByPort();
      return false;
    }
    return options.budget?.tryAcquire() ?? true;
  };

  const serveConnection = (conn: Deno.TlsConn, generation: Generation): void => {
    const binding: ConnectionBinding = {};
    let clientAddr: Deno.NetAddr | undefined;
    let first = true;
    const handler: TlsConnectionHandler = (request, info) => {
      if (first) {
        first = false;
        // The relay registered the origin before it sent the ClientHello, so
        // it is known by the time a request arrives. Unknown: a local process
        // dialled the loopback listener directly; the first Host decides.
        const origin = front?.lookup(info.remoteAddr.port);
        if (origin !== undefined) {
          clientAddr = origin.remoteAddr;
          binding.listenerId = generation.certificates.entryFor(origin.serverName)?.listenerId;
        }
      }
      const table = options.getTable();
      if (table !== undefined) {
        const verdict = checkMisdirected(
          table,
          port,
          binding,
          requestHostname(request),
          options.address,
        );
        if (verdict.misdirected) return misdirectedResponse();
      }
      if (clientAddr === undefined) return options.handler(request, info);
      return options.handler(request, { remoteAddr: clientAddr, completed: info.completed });
    };
    // Dropping only ever happens on a later sweep, once `served` exists.
    const watched = options.watcher?.watch(() => served.close());
    const timed = watched === undefined ? handler : watchRequests(handler, watched);
    const served = serveAccepted(conn, timed, onError, (error) => {
      // Handshake failures (unknown name, client rejecting the certificate)
      // and resets land here; they are the client's business.
      log.debug("TLS connection ended with an error", { error: describe(error) });
    });
    const entry: LiveConnection = { served, finished: served.finished };
    entry.finished = served.finished.then(() => {
      live.delete(entry);
      watched?.end();
      // Relayed connections are counted by the front door.
      if (!relayed) options.budget?.release();
    });
    live.add(entry);
  };

  const acceptLoop = async (generation: Generation): Promise<void> => {
    while (!generation.closed) {
      let conn: Deno.TlsConn;
      try {
        conn = await generation.listener.accept();
      } catch (error) {
        if (generation.closed) return;
        if (error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted) {
          return;
        }
        // EMFILE and friends: back off briefly rather than spin.
        if (options.budget !== undefined && isOutOfDescriptors(error)) {
          shedForDescriptors(options.budget, options.watcher, log);
        }
        log.warn("Cannot accept a TLS connection", { error: describe(error) });
        await new Promise((resolve) => setTimeout(resolve, 50));
        continue;
      }
      if (!relayed && !admit()) {
        try {
          conn.close();
        } catch {
          // Already closed.
        }
        continue;
      }
      serveConnection(conn, generation);
    }
  };

  const bind = (certificates: SniCertificates): Generation => {
    const generation = {
      certificates,
      resolvedNames: 0,
      closed: false,
    } as Generation;
    generation.listener = listenTlsWithSni({
      // Relayed: only the front door dials this listener.
      hostname: relayed ? "127.0.0.1" : options.hostname,
      port: relayed ? 0 : port,
      reusePort,
      resolve: (serverName) => {
        // Called once per distinct name per listener (Deno caches the rest).
        generation.resolvedNames++;
        if (generation.resolvedNames === maxResolvedNames && !stopping) {
          log.info("Replacing the TLS listener to bound its server-name cache", {
            names: generation.resolvedNames,
          });
          queueMicrotask(() => {
            void rotate(generation.certificates).catch((error) =>
              log.error("Cannot replace the TLS listener", { error: describe(error) })
            );
          });
        }
        return generation.certificates.resolve(serverName);
      },
    });
    if (!relayed) port = (generation.listener.addr as Deno.NetAddr).port;
    generationCount++;
    generation.accepting = acceptLoop(generation);
    return generation;
  };

  const closeGeneration = async (generation: Generation): Promise<void> => {
    if (generation.closed) return;
    generation.closed = true;
    try {
      generation.listener.close();
    } catch {
      // Already closed.
    }
    await generation.accepting;
  };

  let current = bind(options.certificates);
  let front: FrontDoor | undefined;
  if (relayed) {
    try {
      front = openFrontDoor({
        hostname: options.hostname,
        port,
        reusePort: options.reusePort ?? false,
        budget: options.budget,
        maxConnections: options.maxConnections,
        onOutOfDescriptors: () => {
          if (options.budget !== undefined) {
            shedForDescriptors(options.budget, options.watcher, log);
          }
        },
        target: () => (current.listener.addr as Deno.NetAddr).port,
        logger: log,
      });
    } catch (error) {
      void closeGeneration(current);
      throw error;
    }
    port = front.addr.port;
  }
  const addr = front?.addr ?? current.listener.addr as Deno.NetAddr;

  const rotate = (certificates: SniCertificates): Promise<void> => {
    const step = rotating.then(async () => {
      if (stopping) return;
      const old = current;
      if (relayed || reusePort) {
        current = bind(certificates);
        await closeGeneration(old);
      } else {
        await closeGeneration(old);
        current = bind(certificates);
      }
      log.info("TLS certificates rotated", {
        generation: generationCount,
        certificates: certificates.entries.map((e) => e.certificateId),
      });
    });
    rotating = step.catch(() => {});
    return step;
  };

  return {
    addr,
    sniSource,
    get generation() {
      return generationCount;
    },
    connections: () => live.size,
    update(certificates) {
      if (stopping) return Promise.resolve();
      if (certificates.fingerprint === current.certificates.fingerprint) {
        // Same handshakes; keep the listener (and its warm cache).
        current.certificates = certificates;
        return Promise.resolve();
      }
      return rotate(certificates);
    },
    async shutdown() {
      if (stopping) return;
      stopping = true;
      await rotating;
      await front?.close();
      await closeGeneration(current);
      const open = [...live];
      await Promise.all(open.map(async (connection) => {
        await connection.served.shutdown().catch(() => {});
        await connection.finished;
      }));
      // Each relay ends once its TLS connection above has closed.
      await front?.drained();
    },
  };
}

/** An error's name and message, never its other properties (which could hold PEM). */
function describe(error: unknown): { name: string; message: string } {
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: "Error", message: String(error) };
}
