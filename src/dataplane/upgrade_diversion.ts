/**
 * The part of a port that passes HTTP/1.1 upgrades through (WebSocket and
 * any other `Upgrade`), shared by plain HTTP ports (`upgrade_port_server.ts`)
 * and HTTPS ports (`tls_port_server.ts`, on the decrypted connection). Deno
 * 2.9.6 cannot do it inside its HTTP engine: a connection served with
 * `serveHttpOnConnection` is closed by the engine itself as soon as its HTTP
 * part ends, and an upgrade ends it (the server side sees close code 1005
 * right after the 101), and no raw upgrade is exposed on a served request.
 * So a port that passes upgrades takes each new connection from the engine
 * ({@linkcode UpgradeDiversion.serve}) and relays its requests to the engine
 * on a loopback listener of its own, taking out the ones that ask for an
 * upgrade (`upgrade_relay.ts`, `upgrade_tunnel.ts`).
 *
 * Which ports: `--upgrades on`, every one; `auto`, those whose routes reach a
 * `kubernetes.io/ws` or `kubernetes.io/wss` backend (read from the current
 * table per connection, so a route change applies to the next connection;
 * `websocket_ports.ts` keeps each port's answer across tables).
 * @module
 */
import type { Logger } from "../log/logger.ts";
import type { RouteTable } from "../router/router.ts";
import type { ConnectionWatcher } from "./client_timeouts.ts";
import { type ConnectionServer, serveConnections } from "./connection_server.ts";
import type { ConnectionHandler } from "./serve_connection.ts";
import { type EngineLink, relayConversation } from "./upgrade_relay.ts";
import { tunnel } from "./upgrade_tunnel.ts";
import type { UpgradeLimits } from "./upgrade_wire.ts";
import { closeQuietly } from "./tcp_relay.ts";
import { WebSocketPort } from "./websocket_ports.ts";
import type { Engine } from "./own_h1_engine.ts";

/** Which ports divert their connections. */
export type UpgradeMode = "auto" | "on" | "off";

/** How a gateway passes upgrades through (`--upgrades`, its limits and timeouts). */
export interface UpgradePortOptions {
  /** `on`: every HTTP and HTTPS port; `auto`: ports with a WebSocket backend. */
  mode: "auto" | "on";
  getTable: () => RouteTable | undefined;
  limits: UpgradeLimits;
  /** Time a diverted connection has to send a request head. */
  headerTimeoutMs: number;
}

/** Options of {@linkcode UpgradeDiversion}. */
export interface DiversionOptions {
  upgrades: UpgradePortOptions;
  /** The listening port and its pool address (table lookups). */
  port: number;
  address?: string;
  scheme: "http" | "https";
  logger: Logger;
  /** Client timeouts of relayed connections (the engine's). */
  watcher?: ConnectionWatcher;
  onError: (error: unknown) => Response | Promise<Response>;
  /**
   * False: the gateway does not pass upgrades through (`--upgrades off`), and
   * an upgrade request is relayed to the engine like any other request, as
   * on a port the engine serves directly. Default true.
   */
  tunnels?: boolean;
  /**
   * Serves the relayed connections on the loopback listener (the own
   * HTTP/1.1 server with `--http1-engine own`, `own_h1_engine.ts`); absent:
   * Deno's engine.
   */
  engine?: Engine;
}

interface Origin {
  handler: ConnectionHandler;
  remoteAddr: Deno.NetAddr;
}

/**
 * The diverted connections of one port and the loopback engine that serves
 * their other requests.
 *
 * @example
 * ```ts
 * import { UpgradeDiversion } from "./upgrade_diversion.ts";
 * import { UpgradeLimits } from "./upgrade_wire.ts";
 * import { silentLogger } from "../log/logger.ts";
 * const diversion = new UpgradeDiversion({
 *   upgrades: { mode: "on", getTable: () => undefined, limits: new UpgradeLimits(10, 0), headerTimeoutMs: 10_000 },
 *   port: 8080,
 *   scheme: "http",
 *   logger: silentLogger,
 *   onError: () => new Response("", { status: 500 }),
 * });
 * diversion.wants(); // true
 * await diversion.shutdown();
 * ```
 */
export class UpgradeDiversion {
  readonly #options: DiversionOptions;
  /** Whether this port's routes reach a WebSocket backend (`--upgrades auto`). */
  readonly #webSockets: WebSocketPort;
  /** Connections relayed to the engine, by the relay's local port. */
  readonly #origins = new Map<number, Origin>();
  readonly #diverted = new Set<Promise<void>>();
  /** Started by the first relay: a port that never relays binds nothing more. */
  #engine: { port: number; server: ConnectionServer } | undefined;
  #draining = false;
  #stopped = false;

  constructor(options: DiversionOptions) {
    this.#options = options;
    this.#webSockets = new WebSocketPort({ port: options.port, address: options.address });
  }

  /** Whether a new connection of this port is diverted now. */
  wants(): boolean {
    if (this.#options.upgrades.mode === "on") return true;
    const table = this.#options.upgrades.getTable();
    return table !== undefined && this.#webSockets.reaches(table);
  }

  /**
   * Serves `conn` (an HTTP/1.1 byte stream) until it closes: requests go to
   * `handler`, told they came from `remoteAddr`. Never rejects.
   */
  serve(conn: Deno.Conn, handler: ConnectionHandler, remoteAddr: Deno.NetAddr): Promise<void> {
    const { upgrades, logger } = this.#options;
    try {
      (conn as Partial<Deno.TcpConn>).setNoDelay?.(true);
    } catch {
      // Gone already; the first read ends at once.
    }
    const done = relayConversation(conn, {
      headerTimeoutMs: upgrades.headerTimeoutMs,
      openEngine: () => this.#openEngine({ handler, remoteAddr }),
      upgrade: this.#options.tunnels === false
        ? undefined
        : (head, rest) =>
          tunnel(conn, head, rest, {
            port: this.#options.port,
            scheme: this.#options.scheme,
            handler,
            remoteAddr,
            limits: upgrades.limits,
            logger,
          }),
    }).catch((error) => {
      logger.warn("upgrade-aware connection failed", { error: (error as Error)?.message });
      closeQuietly(conn);
    });
    this.#diverted.add(done);
    done.finally(() => this.#diverted.delete(done));
    return done;
  }

  /** Relayed requests answer `Connection: close` from now on. */
  drain(): void {
    this.#draining = true;
    this.#engine?.server.drain();
  }

  /** Stops the engine (gracefully) and waits for every diverted connection, tunnels included. */
  async shutdown(): Promise<void> {
    this.#stopped = true;
    await this.#engine?.server.shutdown();
    await Promise.all([...this.#diverted]);
  }

  /** The engine for relayed connections: loopback only, limits counted on the public side. */
  #startEngine(): { port: number; server: ConnectionServer } {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const origins = this.#origins;
    const server = serveConnections({
      listener,
      handler: (request, info) => {
        const origin = origins.get(info.remoteAddr.port);
        // Unknown: a local process dialled the loopback listener; it gets no client address.
        if (origin === undefined) return new Response("Misdirected Request\n", { status: 421 });
        return origin.handler(request, {
          remoteAddr: origin.remoteAddr,
          completed: info.completed,
        });
      },
      onError: this.#options.onError,
      logger: this.#options.logger,
      watcher: this.#options.watcher,
      // No fast path: it would see the loopback peer, not the client.
      ...(this.#options.engine === undefined ? {} : { engine: this.#options.engine }),
    });
    if (this.#draining) server.drain();
    return { port: (listener.addr as Deno.NetAddr).port, server };
  }

  async #openEngine(origin: Origin): Promise<EngineLink | undefined> {
    if (this.#stopped) return undefined;
    const engine = this.#engine ??= this.#startEngine();
    let conn: Deno.TcpConn;
    try {
      conn = await Deno.connect({ hostname: "127.0.0.1", port: engine.port });
    } catch {
      return undefined;
    }
    conn.setNoDelay(true);
    const relayPort = (conn.localAddr as Deno.NetAddr).port;
    this.#origins.set(relayPort, origin);
    return { conn, release: () => this.#origins.delete(relayPort) };
  }
}
