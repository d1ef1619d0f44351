/**
 * Plain HTTP ports that pass HTTP/1.1 upgrades through (WebSocket, and any
 * other `Upgrade`): a port decides per connection, before the engine,
 * whether it is diverted (`upgrade_diversion.ts`):
 *
 * - not diverted (mode `auto` and no WebSocket backend on the port, or a
 *   gRPC-only port): the engine serves the connection directly, as
 *   `serveHttp` does — no cost;
 * - diverted: the port's requests are relayed to the engine on loopback
 *   (Deno's, or with `--http1-engine own` ours) and
 *   every request that asks for an upgrade, first or later on the
 *   connection, is routed by the same handler and tunnelled to its backend.
 *
 * On shutdown a tunnel lives until the process exits, that is until the
 * shutdown timeout.
 * @module
 */
import type { ConnectionServer } from "./connection_server.ts";
import {
  internalErrorResponder,
  type PortServeContext,
  type PortServer,
  servePlainConnections,
} from "./port_server.ts";
import { UpgradeDiversion, type UpgradePortOptions } from "./upgrade_diversion.ts";
import { ownH1Engine } from "./own_h1_engine.ts";

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

/**
 * One plain HTTP port that diverts connections: its public server and its
 * diversion. It keeps of its context only what a connection reads: the
 * context's port config and certificates are those of the generation that
 * bound the port, and holding them would keep that config's hosts alive for
 * the port's life.
 */
class UpgradePort implements PortServer {
  readonly #handler: PortServeContext["handler"];
  readonly #grpcKind: PortServeContext["grpcKind"];
  readonly #diversion: UpgradeDiversion;
  readonly #front: ConnectionServer;

  constructor(context: PortServeContext, options: UpgradePortOptions) {
    const { port } = context;
    this.#handler = context.handler;
    this.#grpcKind = context.grpcKind;
    const log = context.logger.child({ port });
    const onError = internalErrorResponder(context);
    this.#diversion = new UpgradeDiversion({
      upgrades: options,
      port,
      address: context.portConfig.address,
      scheme: "http",
      logger: log,
      watcher: context.watcher,
      onError,
      // Absent: the own server, the default of plain ports.
      ...(context.http1Engine !== "deno" ? { engine: ownH1Engine("http") } : {}),
    });
    this.#front = servePlainConnections(
      context,
      onError,
      () => this.#diversion,
      (conn) => this.#divert(conn),
    );
  }

  drain(): void {
    this.#front.drain();
    this.#diversion.drain();
  }

  async shutdown(): Promise<void> {
    // At once: a mixed gRPC port's relayed connections end with the engine.
    await Promise.all([this.#front.shutdown(), this.#diversion.shutdown()]);
  }

  /** Takes `conn` from the engine when this port diverts; `undefined`: the engine serves it. */
  #divert(conn: Deno.Conn): Promise<void> | undefined {
    // A socket with GRPCRoutes looks for HTTP/2 first (`grpc_port.ts`), then relays.
    if ((this.#grpcKind?.() ?? "none") !== "none") return undefined;
    if (!this.#diversion.wants()) return undefined;
    return this.#diversion.serve(conn, this.#handler, conn.remoteAddr as Deno.NetAddr);
  }
}
