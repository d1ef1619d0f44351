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
import { type ConnectionBudget, isOutOfDescriptors } from "./connection_server.ts";
import { scanClientHello } from "./tls_client_hello.ts";
import { reusePortAvailable } from "./tls_server.ts";

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
  /** The loopback TLS listener new connections are relayed to (read per connection). */
  target: () => number;
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

const SMALL_BUFFER = 4096;
const LARGE_BUFFER = 65536;

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
  const log = options.logger;
  const helloTimeoutMs = options.helloTimeoutMs ?? 10_000;
  const maxRetries = options.maxRetries ?? 3;
  const listener = Deno.listen({
    hostname: options.hostname,
    port: options.port,
    ...(options.reusePort ? { reusePort: reusePortOrThrow(options.port) } : {}),
  });
  const origins = new Map<number, FrontDoorOrigin>();
  const waitingForHello = new Set<Deno.Conn>();
  const running = new Set<Promise<void>>();
  let closed = false;

  /** Reads until a whole ClientHello is in; `undefined` when there is none. */
  const readHello = async (client: Deno.Conn) => {
    let bytes = new Uint8Array(0);
    const chunk = new Uint8Array(SMALL_BUFFER);
    const timer = setTimeout(() => client.close(), helloTimeoutMs);
    try {
      while (true) {
        const n = await client.read(chunk);
        if (n === null) return undefined;
        const next = new Uint8Array(bytes.length + n);
        next.set(bytes);
        next.set(chunk.subarray(0, n), bytes.length);
        bytes = next;
        const scan = scanClientHello(bytes);
        if (scan.state === "parsed") return { bytes, serverName: scan.serverName };
        if (scan.state === "invalid") {
          log.debug("Closing a connection that sent no TLS ClientHello", { reason: scan.reason });
          return undefined;
        }
      }
    } finally {
      clearTimeout(timer);
    }
  };

  /**
   * Connects to the TLS listener and sends the first bytes; resolves once the
   * TLS server answered, reconnecting when it was reset before that.
   */
  const connectUpstream = async (first: Uint8Array, origin: FrontDoorOrigin) => {
    for (let attempt = 0;; attempt++) {
      let upstream: Deno.TcpConn | undefined;
      let relayPort = -1;
      try {
        upstream = await Deno.connect({ hostname: "127.0.0.1", port: options.target() });
        upstream.setNoDelay(true);
        relayPort = (upstream.localAddr as Deno.NetAddr).port;
        origins.set(relayPort, origin);
        await writeAll(upstream, first);
        const answer = new Uint8Array(16384);
        const n = await upstream.read(answer);
        if (n === null) throw new Deno.errors.ConnectionReset("closed before answering");
        return { upstream, relayPort, answer: answer.subarray(0, n) };
      } catch (error) {
        origins.delete(relayPort);
        closeQuietly(upstream);
        // Nothing reached the client yet, so another try is invisible to it.
        if (attempt >= maxRetries || closed) throw error;
        log.debug("Relaying a ClientHello again: the loopback TLS listener dropped it", {
          attempt: attempt + 1,
          error: (error as Error).message,
        });
      }
    }
  };

  const relay = async (client: Deno.TcpConn): Promise<void> => {
    waitingForHello.add(client);
    let upstream: Deno.TcpConn | undefined;
    let relayPort = -1;
    let inbound: Promise<void> | undefined;
    try {
      client.setNoDelay(true);
      const hello = await readHello(client).catch(() => undefined);
      waitingForHello.delete(client);
      if (hello === undefined || closed) return;
      const origin = {
        serverName: hello.serverName,
        remoteAddr: client.remoteAddr as Deno.NetAddr,
      };
      const connected = await connectUpstream(hello.bytes, origin);
      upstream = connected.upstream;
      relayPort = connected.relayPort;
      await writeAll(client, connected.answer);
      // A client may half-close after its last request and still await the
      // answer; the relay ends when the TLS server's side ends.
      inbound = pump(client, upstream);
      await pump(upstream, client);
    } catch (error) {
      log.debug("TLS relay ended with an error", { error: (error as Error).message });
    } finally {
      waitingForHello.delete(client);
      origins.delete(relayPort);
      closeQuietly(client);
      closeQuietly(upstream);
      await inbound;
    }
  };

  const accepting = (async () => {
    while (!closed) {
      let client: Deno.TcpConn;
      try {
        client = await listener.accept() as Deno.TcpConn;
      } catch (error) {
        if (closed || error instanceof Deno.errors.BadResource) return;
        if (isOutOfDescriptors(error)) options.onOutOfDescriptors?.();
        log.warn("Cannot accept a TCP connection", { error: (error as Error).message });
        await new Promise((resolve) => setTimeout(resolve, 50));
        continue;
      }
      const max = options.maxConnections ?? 0;
      const portFull = max > 0 && running.size >= max;
      if (portFull) options.budget?.rejectedByPort();
      if (portFull || options.budget?.tryAcquire() === false) {
        closeQuietly(client);
        log.debug("Closing a new connection: a connection limit is reached");
        continue;
      }
      const relayRun = relay(client);
      running.add(relayRun);
      void relayRun.finally(() => {
        running.delete(relayRun);
        options.budget?.release();
      });
    }
  })();

  return {
    addr: listener.addr as Deno.NetAddr,
    lookup: (relayPort) => origins.get(relayPort),
    relays: () => running.size,
    async close() {
      if (closed) return;
      closed = true;
      closeQuietly(listener);
      for (const client of waitingForHello) closeQuietly(client);
      await accepting;
    },
    async drained() {
      while (running.size > 0) await Promise.all([...running]);
    },
  };
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

/**
 * Copies until EOF, then half-closes the other side so the peer sees the end
 * while the opposite direction drains. The buffer grows for bulk transfers
 * and shrinks back, so an idle connection holds only a small one.
 */
async function pump(from: Deno.Conn, to: Deno.Conn): Promise<void> {
  let buffer = new Uint8Array(SMALL_BUFFER);
  try {
    while (true) {
      const n = await from.read(buffer);
      if (n === null) break;
      await writeAll(to, buffer.subarray(0, n));
      if (n === buffer.length && buffer.length < LARGE_BUFFER) {
        buffer = new Uint8Array(LARGE_BUFFER);
      } else if (n < SMALL_BUFFER && buffer.length > SMALL_BUFFER) {
        buffer = new Uint8Array(SMALL_BUFFER);
      }
    }
    await to.closeWrite().catch(() => closeQuietly(to));
  } catch {
    // A reset on either side ends both directions.
    closeQuietly(from);
    closeQuietly(to);
  }
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) written += await conn.write(bytes.subarray(written));
}

function closeQuietly(closable: { close(): void } | undefined): void {
  try {
    closable?.close();
  } catch {
    // Already closed.
  }
}
