/**
 * The public socket of an HTTPS port when the server must know each
 * connection's SNI. Deno 2.9.6 cannot tell a TLS server the name a connection
 * asked for, and cannot start server-side TLS on a connection it accepted as
 * plain TCP (`tls_server.ts`). So the port accepts plain TCP here, reads the
 * ClientHello (`tls_client_hello.ts`), and relays the connection, those bytes
 * first, to a TLS listener bound on loopback that terminates TLS with Deno's
 * own stack. The relay's local port is what that listener sees as the remote
 * port, so {@linkcode FrontDoor.lookup} maps an accepted TLS connection back
 * to its server name and real client address without any guessing.
 *
 * Why it also makes certificate rotation reset-free: the public socket never
 * changes; a rotation only points new relays at a new loopback listener. A
 * relay whose loopback connection is reset before the TLS server answered
 * (it was still queued on a listener that closed) reconnects to the current
 * listener and replays the ClientHello; the client cannot tell.
 *
 * Costs (measured with `bench/tls_sni_bench.ts`): one loopback connection per
 * client connection and two extra socket reads and writes per exchange.
 * @module
 */
import type { Logger } from "../log/logger.ts";
import { admitConnection, type ConnectionBudget, isOutOfDescriptors } from "./connection_budget.ts";
import { readClientHello } from "./client_hello_reader.ts";
import { reusePortAvailable } from "./tls_server.ts";
import { closeQuietly, pump, writeAll } from "./tcp_relay.ts";

/** What the front door learnt about one client connection. */
export interface FrontDoorOrigin {
  /** SNI, lower case; `""` when the client sent none. */
  serverName: string;
  /** The client's address (the TLS listener only sees loopback). */
  remoteAddr: Deno.NetAddr;
}

/** Options of {@linkcode openFrontDoor}. */
export interface FrontDoorOptions {
  hostname: string;
  /** `0` picks a free port. */
  port: number;
  /**
   * Bind with `SO_REUSEPORT` so the front doors of several workers share the
   * port (`--workers`); each relays to its own worker's TLS listener, so
   * `lookup` stays local to the worker that accepted the connection. Needs
   * `--unstable-net`; without it the bind throws. Default false.
   */
  reusePort?: boolean;
  /**
   * The loopback TLS listener a new connection is relayed to, by its server
   * name (read per connection and per reconnect).
   */
  target: (serverName: string) => number | Promise<number>;
  logger: Logger;
  /** Time a client has to send its ClientHello. Default 10 s. */
  helloTimeoutMs?: number;
  /** Reconnects after resets of a relay's loopback connection. Default 3. */
  maxRetries?: number;
  /** Shared limit of client connections; past it a new one is closed at once. */
  budget?: ConnectionBudget;
  /** Limit of this port alone; `0` or absent: none. */
  maxConnections?: number;
  /** An accept failed for want of a descriptor. */
  onOutOfDescriptors?: () => void;
}

/** A bound front door. */
export interface FrontDoor {
  readonly addr: Deno.NetAddr;
  /** The origin of the loopback connection whose local port is `relayPort`. */
  lookup(relayPort: number): FrontDoorOrigin | undefined;
  /** Relays open (client connections not yet closed). */
  relays(): number;
  /** Stops accepting; drops clients still sending their ClientHello. Open relays keep running. */
  close(): Promise<void>;
  /** Settles once every relay ended (they end when the TLS server closes its side). */
  drained(): Promise<void>;
}

/**
 * Binds the public socket and relays every TLS connection to `target()`.
 * Throws when the port cannot be bound.
 *
 * @example
 * ```ts
 * import { openFrontDoor } from "./tls_front_door.ts";
 * import { createLogger } from "../log/logger.ts";
 * declare const innerPort: number;
 * const door = openFrontDoor({ hostname: "0.0.0.0", port: 443, target: () => innerPort, logger: createLogger() });
 * // in the TLS listener's handler: door.lookup(info.remoteAddr.port)?.serverName
 * ```
 */
export function openFrontDoor(options: FrontDoorOptions): FrontDoor {
  return new RelayingFrontDoor(options);
}

/** A relay's connection to the loopback TLS listener, after its first answer. */
interface Connected {
  upstream: Deno.TcpConn;
  relayPort: number;
  answer: Uint8Array;
}

/** The front door: its socket, the relays running and their origins, in named fields. */
class RelayingFrontDoor implements FrontDoor {
  readonly addr: Deno.NetAddr;
  readonly #options: FrontDoorOptions;
  readonly #log: Logger;
  readonly #helloTimeoutMs: number;
  readonly #maxRetries: number;
  readonly #listener: Deno.Listener;
  readonly #origins = new Map<number, FrontDoorOrigin>();
  readonly #waitingForHello = new Set<Deno.Conn>();
  readonly #running = new Set<Promise<void>>();
  readonly #accepting: Promise<void>;
  #closed = false;

  constructor(options: FrontDoorOptions) {
    this.#options = options;
    this.#log = options.logger;
    this.#helloTimeoutMs = options.helloTimeoutMs ?? 10_000;
    this.#maxRetries = options.maxRetries ?? 3;
    this.#listener = Deno.listen({
      hostname: options.hostname,
      port: options.port,
      ...(options.reusePort ? { reusePort: reusePortOrThrow(options.port) } : {}),
    });
    this.addr = this.#listener.addr as Deno.NetAddr;
    this.#accepting = this.#acceptLoop();
  }

  lookup(relayPort: number): FrontDoorOrigin | undefined {
    return this.#origins.get(relayPort);
  }

  relays(): number {
    return this.#running.size;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    closeQuietly(this.#listener);
    for (const client of this.#waitingForHello) closeQuietly(client);
    await this.#accepting;
  }

  async drained(): Promise<void> {
    while (this.#running.size > 0) await Promise.all([...this.#running]);
  }

  async #acceptLoop(): Promise<void> {
    while (!this.#closed) {
      let client: Deno.TcpConn;
      try {
        client = await this.#listener.accept() as Deno.TcpConn;
      } catch (error) {
        if (this.#closed || error instanceof Deno.errors.BadResource) return;
        if (isOutOfDescriptors(error)) this.#options.onOutOfDescriptors?.();
        this.#log.warn("Cannot accept a TCP connection", { error: (error as Error).message });
        await new Promise((resolve) => setTimeout(resolve, 50));
        continue;
      }
      const budget = this.#options.budget;
      if (!admitConnection(this.#running.size, this.#options.maxConnections, budget)) {
        closeQuietly(client);
        this.#log.debug("Closing a new connection: a connection limit is reached");
        continue;
      }
      const relayRun = this.#relay(client);
      this.#running.add(relayRun);
      void relayRun.finally(() => {
        this.#running.delete(relayRun);
        budget?.release();
      });
    }
  }

  async #relay(client: Deno.TcpConn): Promise<void> {
    this.#waitingForHello.add(client);
    let upstream: Deno.TcpConn | undefined;
    let relayPort = -1;
    let inbound: Promise<number> | undefined;
    try {
      client.setNoDelay(true);
      const hello = await readClientHello(client, this.#helloTimeoutMs);
      this.#waitingForHello.delete(client);
      if (!hello.ok) {
        if (hello.invalid) {
          this.#log.debug("Closing a connection that sent no TLS ClientHello", {
            reason: hello.reason,
          });
        }
        return;
      }
      if (this.#closed) return;
      const origin = {
        serverName: hello.serverName,
        remoteAddr: client.remoteAddr as Deno.NetAddr,
      };
      const connected = await this.#connectUpstream(hello.bytes, origin);
      upstream = connected.upstream;
      relayPort = connected.relayPort;
      await writeAll(client, connected.answer);
      // A client may half-close after its last request and still await the
      // answer; the relay ends when the TLS server's side ends.
      inbound = pump(client, upstream);
      await pump(upstream, client);
    } catch (error) {
      this.#log.debug("TLS relay ended with an error", { error: (error as Error).message });
    } finally {
      this.#waitingForHello.delete(client);
      this.#origins.delete(relayPort);
      closeQuietly(client);
      closeQuietly(upstream);
      await inbound;
    }
  }

  /**
   * Connects to the TLS listener and sends the first bytes; resolves once the
   * TLS server answered, reconnecting when it was reset before that.
   */
  async #connectUpstream(first: Uint8Array, origin: FrontDoorOrigin): Promise<Connected> {
    for (let attempt = 0;; attempt++) {
      let upstream: Deno.TcpConn | undefined;
      let relayPort = -1;
      try {
        const port = await this.#options.target(origin.serverName);
        upstream = await Deno.connect({ hostname: "127.0.0.1", port });
        upstream.setNoDelay(true);
        relayPort = (upstream.localAddr as Deno.NetAddr).port;
        this.#origins.set(relayPort, origin);
        await writeAll(upstream, first);
        const answer = new Uint8Array(16384);
        const n = await upstream.read(answer);
        if (n === null) throw new Deno.errors.ConnectionReset("closed before answering");
        return { upstream, relayPort, answer: answer.subarray(0, n) };
      } catch (error) {
        this.#origins.delete(relayPort);
        closeQuietly(upstream);
        // Nothing reached the client yet, so another try is invisible to it.
        if (attempt >= this.#maxRetries || this.#closed) throw error;
        this.#log.debug("Relaying a ClientHello again: the loopback TLS listener dropped it", {
          attempt: attempt + 1,
          error: (error as Error).message,
        });
      }
    }
  }
}

/**
 * Deno 2.9 exits the process, instead of throwing, when a socket asks for
 * `reusePort` without `--unstable-net`; a failed bind is what callers handle.
 */
function reusePortOrThrow(port: number): true {
  if (!reusePortAvailable()) {
    throw new Error(
      `Cannot share HTTPS port ${port} between workers: SO_REUSEPORT needs --unstable-net`,
    );
  }
  return true;
}
