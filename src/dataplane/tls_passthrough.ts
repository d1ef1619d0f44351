/**
 * A TLS Passthrough port (listeners of protocol `TLS`, mode `Passthrough`):
 * the gateway accepts TCP in its own loop, reads the ClientHello with the
 * bounded parser (`tls_client_hello.ts`) to learn the SNI, picks the
 * TLSRoute and one of its backends by weight, connects to an endpoint,
 * writes the bytes already read and then splices both ways
 * (`byte_splice.ts`). It never decrypts: the client's handshake is with the
 * backend, whose certificate the client verifies. A listener in mode
 * Terminate (it has certificates) hands the connection to the port's
 * `TlsTerminator` instead, which completes the handshake and relays the
 * plaintext (`tls_terminate.ts`).
 *
 * A connection is closed without a byte in reply when it sends no valid
 * ClientHello in time, when no route takes its server name, when the pick
 * falls on the share of unresolvable backends, or when the backend has no
 * endpoint or cannot be reached: a TLS client sees the connection end before
 * any handshake answer.
 *
 * Limits: the data plane's shared connection budget and the per-port limit,
 * a ClientHello deadline (default 10 s), a connect deadline (default 10 s),
 * an idle timeout (default 10 min without a byte either way) and a lifetime
 * limit (default 24 h). On shutdown the port stops accepting, drops clients
 * still sending their ClientHello, and waits for open tunnels to end.
 * @module
 */
import type { Logger } from "../log/logger.ts";
import type { CertificateConfig, PortConfig } from "../model/config.ts";
import { type Clock, systemClock } from "../time/clock.ts";
import type { BackendPicker } from "./backend_picker.ts";
import { type ConnectionBudget, isOutOfDescriptors } from "./connection_server.ts";
import type { DataPlaneObserver, PassthroughOutcome } from "./observer.ts";
import { readClientHello } from "./client_hello_reader.ts";
import { splice } from "./byte_splice.ts";
import { closeQuietly, writeAll } from "./tcp_relay.ts";
import { compilePassthroughRoutes, type PassthroughRoutes } from "./tls_passthrough_routes.ts";
import {
  relayToTerminator,
  type TerminatedTarget,
  TerminatorSlot,
  TlsTerminator,
} from "./tls_terminate.ts";

/** Time limits of passthrough connections, in milliseconds; `0` disables one. */
export interface PassthroughTimeouts {
  /** From accept to a whole ClientHello. Default 10 s. */
  helloMs: number;
  /** To open the TCP connection to the backend. Default 10 s. */
  connectMs: number;
  /** Without a byte either way. Default 10 min. */
  idleMs: number;
  /** From accept to close, however busy. Default 24 h. */
  lifetimeMs: number;
}

/** The defaults of {@linkcode PassthroughTimeouts}. */
export const DEFAULT_PASSTHROUGH_TIMEOUTS: Readonly<PassthroughTimeouts> = Object.freeze({
  helloMs: 10_000,
  connectMs: 10_000,
  idleMs: 600_000,
  lifetimeMs: 86_400_000,
});

/** Options of {@linkcode serveTlsPassthrough}. */
export interface PassthroughPortOptions {
  hostname: string;
  /** `0` picks a free port. */
  port: number;
  /** Share the port with other workers (`SO_REUSEPORT`, needs `--unstable-net`). */
  reusePort?: boolean;
  portConfig: PortConfig;
  /** Certificates of the config (Terminate listeners pick theirs); absent: none. */
  certificates?: readonly CertificateConfig[];
  picker: BackendPicker;
  logger: Logger;
  observer?: DataPlaneObserver;
  budget?: ConnectionBudget;
  /** Limit of this port alone; `0` or absent: none. */
  maxConnections?: number;
  timeouts?: Partial<PassthroughTimeouts>;
  clock?: Clock;
  /** Dials a backend endpoint; default `Deno.connect` over TCP. */
  connect?: (address: string, port: number) => Promise<Deno.Conn>;
}

/** A bound passthrough port. */
export interface PassthroughPort {
  readonly addr: Deno.NetAddr;
  /** New connections use `portConfig`'s routes; open tunnels keep theirs. */
  update(portConfig: PortConfig, certificates?: readonly CertificateConfig[]): void;
  /** Tunnels open (accepted connections not yet closed). */
  connections(): number;
  /** Stops accepting, then resolves once every open tunnel ended. */
  shutdown(): Promise<void>;
}

/**
 * Binds the port and serves it; throws when it cannot bind.
 *
 * @example
 * ```ts
 * import { serveTlsPassthrough } from "./tls_passthrough.ts";
 * import { createBackendPicker } from "./backend_picker.ts";
 * import { createLogger } from "../log/logger.ts";
 * import type { CertificateConfig, PortConfig } from "../model/config.ts";
 * declare const portConfig: PortConfig;
 * const port = serveTlsPassthrough({
 *   hostname: "127.0.0.1", port: 0, portConfig, picker: createBackendPicker(), logger: createLogger(),
 * });
 * await port.shutdown();
 * ```
 */
export function serveTlsPassthrough(options: PassthroughPortOptions): PassthroughPort {
  const timeouts = { ...DEFAULT_PASSTHROUGH_TIMEOUTS, ...options.timeouts };
  const clock = options.clock ?? systemClock;
  const log = options.logger.child({ port: options.port });
  const listener = Deno.listen({
    hostname: options.hostname,
    port: options.port,
    ...(options.reusePort ? { reusePort: true } : {}),
  });
  let routes: PassthroughRoutes = compilePassthroughRoutes(options.portConfig);
  const waitingForHello = new Set<Deno.Conn>();
  const running = new Set<Promise<void>>();
  let closed = false;
  const tunnel: Tunnel = {
    options,
    timeouts,
    clock,
    log,
    routes: () => routes,
    terminator: () => terminators.current(),
    waitingForHello,
    isClosed: () => closed,
  };
  const terminators = new TerminatorSlot((certificates) =>
    new TlsTerminator({
      certificates,
      logger: log,
      clock,
      handshakeTimeoutMs: timeouts.helloMs,
      dial: (target) => dialTerminated(tunnel, target),
      splice: async (a, b) => {
        await splice(a, b, { idleMs: timeouts.idleMs, clock }).done;
      },
    })
  );
  terminators.apply(options.portConfig, options.certificates ?? []);

  const accepting = acceptConnections(listener, tunnel, running);

  return {
    addr: listener.addr as Deno.NetAddr,
    update(portConfig, certificates = []) {
      terminators.apply(portConfig, certificates);
      routes = compilePassthroughRoutes(portConfig);
    },
    connections: () => running.size,
    async shutdown() {
      if (!closed) {
        closed = true;
        closeQuietly(listener);
        for (const client of waitingForHello) closeQuietly(client);
        await accepting;
      }
      while (running.size > 0) await Promise.all([...running]);
      await terminators.close();
    },
  };
}

/** Accepts until the port closes; each connection runs in `running` while it lives. */
async function acceptConnections(
  listener: Deno.Listener,
  tunnel: Tunnel,
  running: Set<Promise<void>>,
): Promise<void> {
  const { options, log, clock } = tunnel;
  while (!tunnel.isClosed()) {
    let client: Deno.TcpConn;
    try {
      client = await listener.accept() as Deno.TcpConn;
    } catch (error) {
      if (tunnel.isClosed() || error instanceof Deno.errors.BadResource) return;
      if (isOutOfDescriptors(error)) {
        options.observer?.onClientEvent("connection_rejected", "descriptors");
      }
      log.warn("Cannot accept a TCP connection", { error: (error as Error).message });
      await clock.sleep(50);
      continue;
    }
    const max = options.maxConnections ?? 0;
    const full = max > 0 && running.size >= max;
    if (full || options.budget?.tryAcquire() === false) {
      closeQuietly(client);
      options.observer?.onClientEvent("connection_rejected", full ? "port" : "global");
      continue;
    }
    const run = serveConnection(tunnel, client);
    running.add(run);
    void run.finally(() => {
      running.delete(run);
      options.budget?.release();
    });
  }
}

/** What one connection's handling needs from its port. */
interface Tunnel {
  options: PassthroughPortOptions;
  timeouts: PassthroughTimeouts;
  clock: Clock;
  log: Logger;
  routes(): PassthroughRoutes;
  terminator(): TlsTerminator | undefined;
  waitingForHello: Set<Deno.Conn>;
  isClosed(): boolean;
}

/** One client connection, from its ClientHello to the end of its tunnel. */
async function serveConnection(port: Tunnel, client: Deno.TcpConn): Promise<void> {
  const { options, log } = port;
  const report = (listener: string, route: string, outcome: PassthroughOutcome) =>
    options.observer?.onPassthrough?.({ listener, route, outcome });
  let upstream: Deno.Conn | undefined;
  try {
    client.setNoDelay(true);
    port.waitingForHello.add(client);
    const hello = await readClientHello(client, port.timeouts.helloMs, port.clock);
    port.waitingForHello.delete(client);
    if (!hello.ok) {
      log.debug("Closing a TLS connection: no ClientHello", { reason: hello.reason });
      return report("none", "none", "no_hello");
    }
    if (port.isClosed()) return;
    const target = port.routes().find(hello.serverName);
    if (target?.host === undefined) {
      log.debug("Closing a TLS connection: no route for its server name", {
        serverName: hello.serverName,
      });
      return report(target?.listener ?? "none", "none", "no_route");
    }
    const route = target.host.route;
    const choice = options.picker.pickBackend(target.host.rule);
    if (choice === undefined || choice === "invalid") {
      return report(target.listener, route, "invalid_backend");
    }
    const endpoint = options.picker.pickEndpoint(choice);
    if (endpoint === undefined) {
      options.observer?.onUpstreamError(choice.id, "no_endpoints");
      return report(target.listener, route, "no_endpoints");
    }
    const terminator = target.terminate ? port.terminator() : undefined;
    if (terminator !== undefined) {
      report(target.listener, route, "relayed");
      // The client's handshake is with the terminator; its lifetime limit applies here.
      return await relayToTerminator(
        client,
        hello.bytes,
        terminator,
        { backend: choice.id, endpoint },
        async (a, b) => {
          await splice(a, b, {
            idleMs: port.timeouts.idleMs,
            maxLifetimeMs: port.timeouts.lifetimeMs,
            clock: port.clock,
          }).done;
        },
      );
    }
    upstream = await connectWithin(options, endpoint, port.timeouts.connectMs, port.clock).catch(
      (error) => {
        log.debug("Cannot connect to a TLS passthrough backend", {
          backend: choice.id,
          endpoint: `${endpoint.address}:${endpoint.port}`,
          error: (error as Error).message,
        });
        options.observer?.onUpstreamError(choice.id, "connect");
        return undefined;
      },
    );
    if (upstream === undefined) return report(target.listener, route, "connect_failed");
    await writeAll(upstream, hello.bytes);
    report(target.listener, route, "relayed");
    const result = await splice(client, upstream, {
      idleMs: port.timeouts.idleMs,
      maxLifetimeMs: port.timeouts.lifetimeMs,
      clock: port.clock,
    }).done;
    options.observer?.onPassthroughBytes?.(result.bytesAtoB + hello.bytes.length, result.bytesBtoA);
  } catch (error) {
    log.debug("TLS passthrough connection ended with an error", {
      error: (error as Error).message,
    });
  } finally {
    port.waitingForHello.delete(client);
    closeQuietly(client);
    if (upstream !== undefined) closeQuietly(upstream);
  }
}

/** Connects to `endpoint`, giving up (and closing a late connection) after `timeoutMs`. */
async function connectWithin(
  options: PassthroughPortOptions,
  endpoint: { address: string; port: number },
  timeoutMs: number,
  clock: Clock,
): Promise<Deno.Conn> {
  const dial = options.connect ?? dialTcp;
  const connecting = dial(endpoint.address, endpoint.port);
  if (timeoutMs <= 0) return await connecting;
  let timer: { cancel(): void } | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = clock.setTimeout(
      () => reject(new Deno.errors.TimedOut(`connect timed out after ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([connecting, timeout]);
  } catch (error) {
    void connecting.then(closeQuietly, () => {});
    throw error;
  } finally {
    timer?.cancel();
  }
}

/** The backend side of a terminated connection; `undefined` (logged, counted) when it cannot be reached. */
function dialTerminated(port: Tunnel, target: TerminatedTarget): Promise<Deno.Conn | undefined> {
  return connectWithin(port.options, target.endpoint, port.timeouts.connectMs, port.clock).catch(
    (error) => {
      port.log.debug("Cannot connect to a terminated TLSRoute's backend", {
        backend: target.backend,
        error: (error as Error).message,
      });
      port.options.observer?.onUpstreamError(target.backend, "connect");
      return undefined;
    },
  );
}

async function dialTcp(address: string, port: number): Promise<Deno.Conn> {
  const conn = await Deno.connect({ hostname: address, port });
  conn.setNoDelay(true);
  return conn;
}
