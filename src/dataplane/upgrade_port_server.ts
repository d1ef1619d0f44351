/**
 * Plain HTTP ports that pass HTTP/1.1 upgrades through (WebSocket, and any
 * other `Upgrade`). Deno 2.9.6 cannot do it inside its HTTP engine: a
 * connection served with `serveHttpOnConnection` is closed by the engine
 * itself as soon as its HTTP part ends, and an upgrade ends it (the server
 * side sees close code 1005 right after the 101), and no raw upgrade is
 * exposed on a served request. So a port decides per connection, before the
 * engine, from the first request head (`upgrade_request_head.ts`):
 *
 * - not diverted (mode `auto` and no WebSocket backend on the port): the
 *   engine serves the connection directly, as `serveHttp` does — no cost;
 * - diverted, and the head asks for an upgrade: the request handler routes
 *   it (matches, filters, backend choice) with the upgrade-aware upstream
 *   client (`upgrade_client.ts`); a 101 from the backend is written to the
 *   client and both connections are spliced (`byte_splice.ts`) until either
 *   side closes or the tunnel idles out; a refusal is passed back as is;
 * - diverted, and anything else: the bytes already read and the rest of the
 *   connection are relayed to the engine, which serves a loopback listener
 *   (the handler sees the client's address, not the relay's).
 *
 * Only the first request of a connection can upgrade (clients open a new
 * connection for a WebSocket). A tunnel holds no route table: it outlives
 * table swaps, and on shutdown it lives until the process exits, that is
 * until the shutdown timeout.
 * @module
 */
import type { Logger } from "../log/logger.ts";
import { socketKey } from "../model/config.ts";
import type { RouteTable } from "../router/router.ts";
import { splice } from "./byte_splice.ts";
import { type ConnectionServer, serveConnections } from "./connection_server.ts";
import { grpcConnectionOverride } from "./grpc_port.ts";
import type { DataPlaneHandler } from "./handler.ts";
import type { PortServeContext, PortServer } from "./port_server.ts";
import {
  parseUpgradeRequestHead,
  readFirstBytes,
  type UpgradeRequestHead,
} from "./upgrade_request_head.ts";
import { type UpgradeLimits, writeSimpleResponse, writeSwitchingHead } from "./upgrade_wire.ts";
import { runUpgrade, takeUpgraded } from "./upgrade_client.ts";
import { closeQuietly } from "./tcp_relay.ts";

/** Which plain HTTP ports read the first request head before the engine. */
export type UpgradeMode = "auto" | "on" | "off";

/** Options of {@linkcode createUpgradePortFactory}. */
export interface UpgradePortOptions {
  /** `on`: every plain HTTP port; `auto`: ports with a WebSocket backend. */
  mode: "auto" | "on";
  getTable: () => RouteTable | undefined;
  limits: UpgradeLimits;
  /** Time a diverted connection has to send its first request head. */
  headerTimeoutMs: number;
}

const portsWithWebSockets = new WeakMap<RouteTable, Set<string>>();

/** Socket keys of the ports whose routes reach a `kubernetes.io/ws` backend. */
export function webSocketPorts(table: RouteTable): Set<string> {
  let ports = portsWithWebSockets.get(table);
  if (ports !== undefined) return ports;
  ports = new Set();
  const { rules } = table.config;
  for (const pc of table.config.ports) {
    const reaches = pc.listeners.some((l) =>
      l.virtualHosts.some((vh) =>
        vh.matches.some((m) => rules[m.rule]?.backends.some((b) => b.websocket === true))
      )
    );
    if (reaches) ports.add(socketKey(pc));
  }
  portsWithWebSockets.set(table, ports);
  return ports;
}

/**
 * The HTTP port factory of a gateway that passes upgrades through.
 *
 * @example
 * ```ts
 * import { createUpgradePortFactory } from "./upgrade_port_server.ts";
 * import { UpgradeLimits } from "./upgrade_wire.ts";
 * const factory = createUpgradePortFactory({
 *   mode: "auto",
 *   getTable: () => undefined,
 *   limits: new UpgradeLimits(1000, 300_000),
 *   headerTimeoutMs: 10_000,
 * });
 * ```
 */
export function createUpgradePortFactory(options: UpgradePortOptions) {
  return (context: PortServeContext): PortServer => new UpgradePort(context, options);
}

/** One plain HTTP port that diverts connections: its two servers and open diversions. */
class UpgradePort implements PortServer {
  readonly #context: PortServeContext;
  readonly #options: UpgradePortOptions;
  readonly #key: string;
  readonly #log: Logger;
  /** Clients of relayed connections, by the relay's local port. */
  readonly #origins = new Map<number, Deno.NetAddr>();
  readonly #diverted = new Set<Promise<void>>();
  /** Started by the first relay: a port that never relays binds nothing more. */
  #engine: { port: number; server: ConnectionServer } | undefined;
  #draining = false;
  #stopped = false;
  readonly #front: ConnectionServer;

  constructor(context: PortServeContext, options: UpgradePortOptions) {
    const { port, handler } = context;
    this.#context = context;
    this.#options = options;
    this.#key = socketKey({ port, address: context.portConfig.address });
    this.#log = context.logger.child({ port });
    this.#front = serveConnections({
      listener: Deno.listen({
        port,
        hostname: context.hostname,
        ...(context.reusePort ? { reusePort: true } : {}),
      }),
      handler,
      onError: this.#onError,
      logger: this.#log,
      budget: context.budget,
      maxConnections: context.maxConnections,
      watcher: context.watcher,
      ...(context.grpcOnly ? { override: grpcConnectionOverride(context.grpcOnly) } : {}),
      divert: (conn) => this.#divert(conn),
    });
  }

  drain(): void {
    this.#draining = true;
    this.#front.drain();
    this.#engine?.server.drain();
  }

  async shutdown(): Promise<void> {
    await this.#front.shutdown();
    this.#stopped = true;
    await this.#engine?.server.shutdown();
    await Promise.all([...this.#diverted]);
  }

  readonly #onError = (error: unknown): Response => {
    this.#context.logger.error("request handling failed", { port: this.#context.port, error });
    return new Response("Internal error\n", { status: 500 });
  };

  /** Takes `conn` from the engine when this port reads first heads; `undefined`: the engine serves it. */
  #divert(conn: Deno.Conn): Promise<void> | undefined {
    if (!this.#wants()) return undefined;
    const done = this.#take(conn).catch((error) => {
      this.#log.warn("upgrade-aware connection failed", { error: (error as Error)?.message });
      closeQuietly(conn);
    });
    this.#diverted.add(done);
    done.finally(() => this.#diverted.delete(done));
    return done;
  }

  #wants(): boolean {
    // A gRPC-only socket is served by its own HTTP/2 path (`grpc_port.ts`).
    if (this.#context.grpcOnly?.() === true) return false;
    if (this.#options.mode === "on") return true;
    const table = this.#options.getTable();
    return table !== undefined && webSocketPorts(table).has(this.#key);
  }

  async #take(client: Deno.Conn): Promise<void> {
    try {
      (client as Partial<Deno.TcpConn>).setNoDelay?.(true);
    } catch {
      // Gone already; the read below ends at once.
    }
    const timer = setTimeout(() => closeQuietly(client), this.#options.headerTimeoutMs);
    const first = await readFirstBytes(client);
    clearTimeout(timer);
    if (first.bytes.length === 0) return closeQuietly(client);
    const head = first.headEnd === -1
      ? undefined
      : parseUpgradeRequestHead(first.bytes, first.headEnd);
    if (head === undefined) return await this.#relay(client, first.bytes);
    await tunnel(client, head, first.bytes.subarray(first.headEnd), {
      port: this.#context.port,
      handler: this.#context.handler,
      limits: this.#options.limits,
      logger: this.#log,
    });
  }

  /** The engine for relayed connections: loopback only, limits counted on the public side. */
  #startEngine(): { port: number; server: ConnectionServer } {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const server = serveConnections({
      listener,
      handler: withOrigins(this.#context.handler, this.#origins),
      onError: this.#onError,
      logger: this.#log,
      watcher: this.#context.watcher,
    });
    if (this.#draining) server.drain();
    return { port: (listener.addr as Deno.NetAddr).port, server };
  }

  async #relay(client: Deno.Conn, bytes: Uint8Array): Promise<void> {
    if (this.#stopped) return closeQuietly(client);
    const engine = this.#engine ??= this.#startEngine();
    let loop: Deno.TcpConn;
    try {
      loop = await Deno.connect({ hostname: "127.0.0.1", port: engine.port });
    } catch {
      closeQuietly(client);
      return;
    }
    loop.setNoDelay(true);
    const relayPort = (loop.localAddr as Deno.NetAddr).port;
    this.#origins.set(relayPort, client.remoteAddr as Deno.NetAddr);
    try {
      await splice(client, loop, bytes, null, { halfClose: false }).done;
    } finally {
      this.#origins.delete(relayPort);
    }
  }
}

/** The handler, told the client's address instead of the relay's loopback one. */
function withOrigins(handler: DataPlaneHandler, origins: Map<number, Deno.NetAddr>) {
  return (request: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>) => {
    const origin = origins.get(info.remoteAddr.port);
    if (origin === undefined) return handler(request, info);
    return handler(request, { remoteAddr: origin, completed: info.completed });
  };
}

interface TunnelContext {
  port: number;
  handler: DataPlaneHandler;
  limits: UpgradeLimits;
  logger: Logger;
}

async function tunnel(
  client: Deno.Conn,
  head: UpgradeRequestHead,
  rest: Uint8Array,
  ctx: TunnelContext,
): Promise<void> {
  try {
    if (!ctx.limits.tryOpen()) {
      ctx.logger.warn("Refusing an upgrade: the upgraded connection limit is reached", {
        limit: ctx.limits.max,
      });
      await writeSimpleResponse(client, 503, "Too many upgraded connections\n");
      return;
    }
    try {
      await handshakeAndSplice(client, head, rest, ctx);
    } finally {
      ctx.limits.close();
    }
  } finally {
    closeQuietly(client);
  }
}

async function handshakeAndSplice(
  client: Deno.Conn,
  head: UpgradeRequestHead,
  rest: Uint8Array,
  ctx: TunnelContext,
): Promise<void> {
  const authority = head.host ?? `localhost:${ctx.port}`;
  let request: Request;
  try {
    request = new Request(`http://${authority}${head.target}`, {
      method: head.method,
      headers: head.headers,
    });
  } catch {
    await writeSimpleResponse(client, 400, "Bad request: invalid request target or Host\n");
    return;
  }
  const info = { remoteAddr: client.remoteAddr as Deno.NetAddr, completed: Promise.resolve() };
  const response = await runUpgrade(head.upgrade, () => ctx.handler(request, info));
  const backend = takeUpgraded(response);
  if (backend === undefined) return await writeSimpleResponse(client, response);
  try {
    await writeSwitchingHead(client, response.headers, backend.upgrade);
  } catch {
    closeQuietly(backend.conn);
    return;
  }
  ctx.limits.started();
  const spliced = splice(client, backend.conn, rest, backend.leftover, {
    idleMs: ctx.limits.idleMs,
  });
  ctx.limits.ended(await spliced.done);
}
