/**
 * The listener manager: one server per (address, port) of the current
 * config, bound and closed as configs come and go. A port with a pool
 * address (`PortConfig.address`) binds that address; the others bind the
 * listen host. A port that cannot be bound (in use, no
 * permission) is reported in its state and retried on the next reconcile;
 * it never stops the others. HTTP ports use `serveHttp`; HTTPS ports use
 * `createHttpsServerFactory` (TLS with SNI); TLS ports use
 * `createPassthroughServerFactory` (TLS Passthrough), unless `servers` says otherwise.
 * @module
 */
import { withGrpcStatuses, withoutGrpc } from "./grpc_status.ts";
import { grpcSocketKind } from "./grpc_port.ts";
import type { Logger } from "../log/logger.ts";
import { silentLogger } from "../log/logger.ts";
import type { RouteTable } from "../router/router.ts";
import type { ListenerPortState } from "./listener_port_state.ts";
import {
  type CertificateConfig,
  type GatewayConfig,
  type ListenerProtocol,
  type PortConfig,
  socketKey,
} from "../model/config.ts";
import { createBackendPicker } from "./backend_picker.ts";
import { type ClientConnectionSettings, createConnectionWatcher } from "./client_timeouts.ts";
import { ConnectionBudget } from "./connection_server.ts";
import { createDataPlaneHandlers } from "./handler.ts";
import { type DataPlaneObserver, NOOP_OBSERVER } from "./observer.ts";
import type { RequestPolicy } from "./request_policy.ts";
import { type PortServer, type PortServerFactory, serveHttp } from "./port_server.ts";
import { createProxyClient, type ProxyClient } from "./upstream_client.ts";
import { upgradeAwareClient } from "./upgrade_client.ts";
import { createUpgradePortFactory } from "./upgrade_port_server.ts";
import type { UpgradePortOptions } from "./upgrade_diversion.ts";
import { UpgradeLimits } from "./upgrade_wire.ts";
import { createHttpsServerFactory } from "./tls_port_factory.ts";
import { createPassthroughServerFactory } from "./tls_passthrough_factory.ts";

/** Options of {@linkcode createListenerManager}. */
export interface ListenerManagerOptions {
  /** The current table, read once per request. */
  getTable: () => RouteTable | undefined;
  /** Bind address (`--listen-host`), default `0.0.0.0`. */
  hostname?: string;
  /** Bind every port with `SO_REUSEPORT` (one of several workers sharing it). */
  reusePort?: boolean;
  logger?: Logger;
  observer?: DataPlaneObserver;
  /** Upstream client; default: one created here and closed at shutdown. */
  upstream?: ProxyClient;
  /** Default backend response-head timeout in ms (rules may override). */
  requestTimeoutMs?: number;
  /** Request policy of every port (default: `DEFAULT_REQUEST_POLICY`). */
  policy?: RequestPolicy;
  /** Connection limits and client timeouts; absent: none (tests). */
  connections?: ClientConnectionSettings;
  /**
   * Server factories by protocol; defaults: `serveHttp`,
   * `createHttpsServerFactory(getTable)`, `createPassthroughServerFactory()`.
   */
  servers?: { HTTP?: PortServerFactory; HTTPS?: PortServerFactory; TLS?: PortServerFactory };
}

/** What `reconcile` needs: a translate result, or any object with a config. */
export interface ListenerConfigInput {
  config: GatewayConfig;
  certificates?: CertificateConfig[];
}

/** The running listeners. */
export interface ListenerManager {
  /** Binds new ports, closes removed ones, updates the others; every wanted port's state. */
  reconcile(input: ListenerConfigInput): Promise<ListenerPortState[]>;
  /** State of every wanted port, sorted by port. */
  states(): ListenerPortState[];
  /** True once a config was applied and every port of it is bound. */
  ready(): boolean;
  /**
   * Stops accepting on every port and waits for in-flight requests, at most
   * `graceMs` (default: no limit). Resolves `true` when all finished in time.
   */
  shutdown(options?: { graceMs?: number }): Promise<boolean>;
  /**
   * The process is going away (readiness is already 503): every port keeps
   * serving, but asks its HTTP/1 clients to close their connections.
   */
  drain?(): void;
}

interface PortEntry {
  state: ListenerPortState;
  server?: PortServer;
}

/**
 * Creates a listener manager; nothing is bound until `reconcile`.
 *
 * @example
 * ```ts
 * import { createListenerManager } from "./listeners.ts";
 * import type { RouteTable } from "../router/router.ts";
 * import type { TranslateResult } from "../model/config.ts";
 * declare const table: RouteTable, result: TranslateResult;
 * const manager = createListenerManager({ getTable: () => table, hostname: "127.0.0.1" });
 * await manager.reconcile(result);
 * await manager.shutdown({ graceMs: 5000 });
 * ```
 */
export function createListenerManager(options: ListenerManagerOptions): ListenerManager {
  return new PortListeners(options);
}

/** One server per wanted socket, bound, updated or closed as configs come. */
class PortListeners implements ListenerManager {
  readonly #options: ListenerManagerOptions;
  readonly #hostname: string;
  readonly #logger: Logger;
  readonly #observer: DataPlaneObserver;
  readonly #ownsUpstream: boolean;
  readonly #upstream: ProxyClient;
  readonly #picker = createBackendPicker();
  readonly #factories: Record<ListenerProtocol, PortServerFactory>;
  readonly #budget: ConnectionBudget | undefined;
  readonly #watcher: ReturnType<typeof createConnectionWatcher> | undefined;
  readonly #upgrades: UpgradePortOptions | undefined;
  // Keyed by `socketKey`: the same port on two pool addresses is two sockets.
  readonly #entries = new Map<string, PortEntry>();
  readonly #closing = new Set<Promise<void>>();
  #applied = false;
  #draining = false;
  #stopped = false;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: ListenerManagerOptions) {
    this.#options = options;
    this.#hostname = options.hostname ?? "0.0.0.0";
    this.#logger = options.logger ?? silentLogger;
    this.#observer = options.observer ?? NOOP_OBSERVER;
    this.#ownsUpstream = options.upstream === undefined;
    const limits = options.connections;
    const upgrades = limits?.upgrades;
    const upstream = options.upstream ??
      createProxyClient({ sockets: limits?.sockets, sendTimeoutMs: limits?.upstreamSendMs });
    this.#upstream = upgrades === undefined || upgrades.mode === "off"
      ? upstream
      : upgradeAwareClient(upstream, limits?.upstreamSendMs);
    const observer = this.#observer;
    // One limit on upgraded connections across HTTP and HTTPS ports.
    const upgradeOptions: UpgradePortOptions | undefined =
      upgrades === undefined || upgrades.mode === "off" ? undefined : {
        mode: upgrades.mode,
        getTable: options.getTable,
        limits: new UpgradeLimits(upgrades.maxConnections, upgrades.idleMs, {
          opened: () => observer.onUpgrade?.("opened"),
          closed: (why) => observer.onUpgrade?.("closed", why),
        }),
        headerTimeoutMs: limits!.timeouts.headerMs > 0 ? limits!.timeouts.headerMs : 10_000,
      };
    this.#upgrades = upgradeOptions;
    this.#factories = {
      HTTP: options.servers?.HTTP ??
        (upgradeOptions === undefined ? serveHttp : createUpgradePortFactory(upgradeOptions)),
      HTTPS: options.servers?.HTTPS ?? createHttpsServerFactory(options.getTable),
      TLS: options.servers?.TLS ?? createPassthroughServerFactory(),
    };
    this.#budget = limits === undefined ? undefined : new ConnectionBudget(
      limits.maxConnections,
      (reason) => observer.onClientEvent("connection_rejected", reason),
    );
    this.#watcher = limits === undefined ? undefined : createConnectionWatcher({
      timeouts: limits.timeouts,
      onDrop: (reason) =>
        reason === "shed"
          ? observer.onClientEvent("connection_rejected", "shed")
          : observer.onClientEvent("client_timeout", reason === "stream" ? "total" : reason),
    });
  }

  reconcile(input: ListenerConfigInput): Promise<ListenerPortState[]> {
    const run = this.#queue.then(() => this.#apply(input));
    this.#queue = run.catch(() => {});
    return run;
  }

  states(): ListenerPortState[] {
    return [...this.#entries.values()].map((e) => ({ ...e.state })).sort(comparePortStates);
  }

  ready(): boolean {
    return this.#applied && !this.#stopped &&
      [...this.#entries.values()].every((e) => e.state.bound);
  }

  drain(): void {
    this.#draining = true;
    for (const entry of this.#entries.values()) entry.server?.drain?.();
  }

  async shutdown(shutdownOptions: { graceMs?: number } = {}): Promise<boolean> {
    this.#stopped = true;
    await this.#queue;
    for (const entry of this.#entries.values()) {
      if (entry.server !== undefined) this.#close(entry.state.port, entry.server);
      entry.state.bound = false;
    }
    const all = Promise.all([...this.#closing]).then(() => true);
    const graceMs = shutdownOptions.graceMs;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const drained = graceMs === undefined ? await all : await Promise.race([
      all,
      new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(false), graceMs)),
    ]);
    if (timer !== undefined) clearTimeout(timer);
    this.#watcher?.stop();
    if (this.#ownsUpstream) this.#upstream.close();
    return drained;
  }

  #close(port: number, server: PortServer): Promise<void> {
    const done = server.shutdown().catch((error) => {
      this.#logger.error("listener shutdown failed", { port, error });
    });
    this.#closing.add(done);
    done.finally(() => this.#closing.delete(done));
    return done;
  }

  async #apply(input: ListenerConfigInput): Promise<ListenerPortState[]> {
    if (this.#stopped) return this.states();
    const certificates = input.certificates ?? [];
    const wanted = new Map(input.config.ports.map((pc) => [socketKey(pc), pc]));
    await this.#closeUnwanted(wanted);
    for (const [key, pc] of wanted) {
      const entry = this.#entries.get(key);
      if (entry?.server !== undefined) {
        try {
          await entry.server.update?.(pc, certificates);
        } catch (error) {
          this.#logger.error("listener update failed", { port: pc.port, error });
        }
        continue;
      }
      this.#entries.set(key, await this.#bind(pc, certificates));
    }
    this.#applied = true;
    return this.states();
  }

  /** Closes the sockets no longer wanted, or wanted under another protocol. */
  async #closeUnwanted(wanted: Map<string, PortConfig>): Promise<void> {
    for (const [key, entry] of this.#entries) {
      const pc = wanted.get(key);
      if (pc !== undefined && pc.protocol === entry.state.protocol) continue;
      this.#entries.delete(key);
      const port = entry.state.port;
      if (entry.server !== undefined) {
        this.#logger.info("listener closing", {
          port,
          address: entry.state.address,
          protocol: entry.state.protocol,
        });
        const done = this.#close(port, entry.server);
        // The same port under another protocol needs the socket released first.
        if (pc !== undefined) await settleWithin(done, 200);
      }
    }
  }

  async #bind(pc: PortConfig, certificates: CertificateConfig[]): Promise<PortEntry> {
    const state: ListenerPortState = {
      ...(pc.address === undefined ? {} : { address: pc.address }),
      port: pc.port,
      protocol: pc.protocol,
      bound: false,
    };
    const bindHost = pc.address ?? this.#hostname;
    const factory = this.#factories[pc.protocol];
    const logger = this.#logger;
    if (factory === undefined) {
      state.error = `HTTPS listener on port ${pc.port} is not served: no HTTPS server is available`;
      logger.error(state.error, { port: pc.port });
      return { state };
    }
    const options = this.#options;
    const limits = options.connections;
    const handlers = createDataPlaneHandlers({
      getTable: options.getTable,
      port: pc.port,
      address: pc.address,
      scheme: pc.protocol === "HTTPS" ? "https" : "http",
      observer: this.#observer,
      logger,
      upstream: this.#upstream,
      picker: this.#picker,
      requestTimeoutMs: options.requestTimeoutMs,
      policy: options.policy,
      clientBodyTimeoutMs: limits?.timeouts.bodyMs,
    });
    const handler = withGrpcStatuses(handlers.handle);
    const getTable = options.getTable;
    const socket = { address: pc.address, port: pc.port };
    try {
      const server = await factory({
        port: pc.port,
        hostname: bindHost,
        reusePort: options.reusePort,
        handler,
        fields: withoutGrpc(handlers.fields),
        portConfig: pc,
        certificates,
        logger,
        budget: this.#budget,
        maxConnections: limits?.maxConnectionsPerPort,
        watcher: this.#watcher,
        grpcKind: () => {
          const table = getTable();
          return table === undefined ? "none" : grpcSocketKind(table.config, socket);
        },
        picker: this.#picker,
        observer: this.#observer,
        upgrades: this.#upgrades,
        http1Engine: limits?.http1Engine,
        sockets: limits?.sockets,
      });
      state.bound = true;
      if (this.#draining) server.drain?.();
      logger.info("listener bound", { port: pc.port, protocol: pc.protocol, hostname: bindHost });
      return { state, server };
    } catch (error) {
      state.error = `Cannot bind ${pc.protocol} listener on ${bindHost}:${pc.port}: ${
        (error as Error)?.message ?? String(error)
      }`;
      logger.error(state.error, { port: pc.port, address: pc.address, error });
      return { state };
    }
  }
}

/** By port, then address (the listen host first), as `/config` and logs list them. */
export function comparePortStates(
  a: Pick<ListenerPortState, "address" | "port">,
  b: Pick<ListenerPortState, "address" | "port">,
): number {
  return a.port - b.port || (a.address ?? "").localeCompare(b.address ?? "", "en", {
    numeric: true,
  });
}

/** Waits for `promise`, at most `ms`; the timer never outlives the wait. */
async function settleWithin(promise: Promise<void>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([promise, new Promise<void>((resolve) => timer = setTimeout(resolve, ms))]);
  clearTimeout(timer);
}
