/**
 * TLS Terminate for TLSRoutes: the TLS port relays a connection whose SNI
 * chose a Terminate listener, ClientHello first, to a TLS listener of its own
 * on loopback, which completes the handshake with the listener's certificate
 * (Deno's TLS stack; Deno cannot start server-side TLS on an accepted TCP
 * connection, as `tls_front_door.ts` explains). The relay's local port is
 * what that listener sees as the remote port, so the route the port already
 * chose is found again by it; the decrypted stream is then spliced to a TCP
 * connection to the route's backend. No ALPN is offered: the bytes are the
 * application's, whatever they are.
 *
 * A new certificate set binds a new loopback listener (Deno caches what a
 * listener resolved per name); the old one serves the handshakes already
 * relayed to it and is closed once they ended.
 * @module
 */
import type { Logger } from "../log/logger.ts";
import { type Clock, systemClock } from "../time/clock.ts";
import type { CertificateConfig, PortConfig } from "../model/config.ts";
import { type SniCertificates, sniCertificatesFor } from "./sni.ts";
import { closeQuietly, writeAll } from "./tcp_relay.ts";
import { listenTlsWithSni } from "./tls_server.ts";

/** Where a relayed connection goes once its handshake completes (chosen before the relay). */
export interface TerminatedTarget {
  /** Backend id, for logs and metrics. */
  backend: string;
  endpoint: { address: string; port: number };
}

/** Opens the backend side of a terminated connection; `undefined`: close the client. */
export type TerminatedDial = (target: TerminatedTarget) => Promise<Deno.Conn | undefined>;

/** Splices a decrypted connection to its backend until both ends are done. */
export type TerminatedSplice = (client: Deno.Conn, backend: Deno.Conn) => Promise<void>;

/** Options of {@linkcode TlsTerminator}. */
export interface TlsTerminatorOptions {
  certificates: SniCertificates;
  dial: TerminatedDial;
  splice: TerminatedSplice;
  logger: Logger;
  /** Time a relayed connection has to finish its handshake. Default 10 s. */
  handshakeTimeoutMs?: number;
  clock?: Clock;
}

/** One loopback TLS listener and the connections relayed to it. */
class LoopbackListener {
  readonly listener: Deno.TlsListener;
  readonly port: number;
  readonly fingerprint: string;
  readonly running = new Set<Promise<void>>();
  readonly accepting: Promise<void>;

  constructor(certificates: SniCertificates, serve: (conn: Deno.TlsConn) => Promise<void>) {
    this.fingerprint = certificates.fingerprint;
    const listener = listenTlsWithSni({
      hostname: "127.0.0.1",
      port: 0,
      reusePort: false,
      resolve: (name) => certificates.resolve(name),
      alpnProtocols: [],
    });
    this.listener = listener;
    this.port = (listener.addr as Deno.NetAddr).port;
    this.accepting = (async () => {
      for await (const conn of listener) {
        const run = serve(conn);
        this.running.add(run);
        void run.finally(() => this.running.delete(run));
      }
    })().catch(() => {});
  }

  async close(): Promise<void> {
    closeQuietly(this.listener);
    await this.accepting;
    while (this.running.size > 0) await Promise.all([...this.running]);
  }
}

/**
 * The Terminate side of one TLS port.
 *
 * @example
 * ```ts
 * import { relayToTerminator, type TlsTerminator } from "./tls_terminate.ts";
 * import { splice } from "./byte_splice.ts";
 * declare const terminator: TlsTerminator, client: Deno.Conn, hello: Uint8Array;
 * const target = { backend: "service/default/db:443", endpoint: { address: "10.0.0.5", port: 5432 } };
 * await relayToTerminator(client, hello, terminator, target, async (a, b) => {
 *   await splice(a, b, { idleMs: 600_000 }).done;
 * });
 * ```
 */
export class TlsTerminator {
  readonly #options: TlsTerminatorOptions;
  readonly #targets = new Map<number, TerminatedTarget>();
  #current: LoopbackListener;
  readonly #retired = new Set<Promise<void>>();

  constructor(options: TlsTerminatorOptions) {
    this.#options = options;
    this.#current = this.#listen(options.certificates);
  }

  /** The loopback port relays connect to now. */
  get port(): number {
    return this.#current.port;
  }

  /** Records where the connection relayed from local port `relayPort` goes. */
  expect(relayPort: number, target: TerminatedTarget): void {
    this.#targets.set(relayPort, target);
  }

  /** Drops the record of a relay that ended. */
  forget(relayPort: number): void {
    this.#targets.delete(relayPort);
  }

  /** New certificates: a new loopback listener when some handshake would change. */
  update(certificates: SniCertificates): void {
    if (certificates.fingerprint === this.#current.fingerprint) return;
    const old = this.#current;
    this.#current = this.#listen(certificates);
    const closing = old.close();
    this.#retired.add(closing);
    void closing.finally(() => this.#retired.delete(closing));
  }

  /** Stops every loopback listener once its connections ended. */
  async close(): Promise<void> {
    await Promise.all([this.#current.close(), ...this.#retired]);
  }

  #listen(certificates: SniCertificates): LoopbackListener {
    return new LoopbackListener(certificates, (conn) => this.#serve(conn));
  }

  async #serve(conn: Deno.TlsConn): Promise<void> {
    const { logger, clock = systemClock } = this.#options;
    const relayPort = (conn.remoteAddr as Deno.NetAddr).port;
    let backend: Deno.Conn | undefined;
    try {
      const timer = clock.setTimeout(
        () => closeQuietly(conn),
        this.#options.handshakeTimeoutMs ?? 10_000,
      );
      try {
        await conn.handshake();
      } finally {
        timer.cancel();
      }
      // Looked up only now: the relay records its target before it sends the
      // ClientHello, and the handshake cannot complete without it.
      const target = this.#targets.get(relayPort);
      if (target === undefined) return;
      backend = await this.#options.dial(target);
      if (backend === undefined) return;
      await this.#options.splice(conn, backend);
    } catch (error) {
      logger.debug("Terminated TLS connection ended with an error", {
        error: (error as Error).message,
      });
    } finally {
      closeQuietly(conn);
      closeQuietly(backend);
    }
  }
}

/**
 * Relays a client whose ClientHello (`hello`, already read) chose a
 * Terminate listener to `terminator`, which completes the handshake and
 * reaches `target`; resolves when the relay ended.
 */
export async function relayToTerminator(
  client: Deno.Conn,
  hello: Uint8Array,
  terminator: TlsTerminator,
  target: TerminatedTarget,
  splice: TerminatedSplice,
): Promise<void> {
  const loopback = await Deno.connect({ hostname: "127.0.0.1", port: terminator.port });
  loopback.setNoDelay(true);
  const relayPort = (loopback.localAddr as Deno.NetAddr).port;
  terminator.expect(relayPort, target);
  try {
    await writeAll(loopback, hello);
    await splice(client, loopback);
  } finally {
    terminator.forget(relayPort);
    closeQuietly(loopback);
  }
}

/**
 * A TLS port's terminator: made when the port's first Terminate listener
 * comes, given new certificates as configs change, and closed (once its
 * connections ended) when the last Terminate listener goes.
 */
export class TerminatorSlot {
  readonly #make: (certificates: SniCertificates) => TlsTerminator;
  #current: TlsTerminator | undefined;
  readonly #retired: Promise<void>[] = [];

  constructor(make: (certificates: SniCertificates) => TlsTerminator) {
    this.#make = make;
  }

  /** The terminator, or `undefined` while the port has no Terminate listener. */
  current(): TlsTerminator | undefined {
    return this.#current;
  }

  /** Follows a new config of the port. */
  apply(port: PortConfig, certificates: readonly CertificateConfig[]): void {
    const terminating = port.listeners.some((l) => l.protocol === "TLS" && l.tls !== undefined);
    if (!terminating) {
      if (this.#current !== undefined) this.#retired.push(this.#current.close());
      this.#current = undefined;
      return;
    }
    const sni = sniCertificatesFor(port, certificates);
    if (this.#current !== undefined) this.#current.update(sni);
    else this.#current = this.#make(sni);
  }

  /** Closes every terminator, current and retired, once their connections ended. */
  async close(): Promise<void> {
    await Promise.all([this.#current?.close(), ...this.#retired]);
  }
}
