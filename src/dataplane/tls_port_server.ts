/**
 * One HTTPS port: TLS termination with per-handshake certificate choice
 * (`sni.ts`), HTTP/1.1 and HTTP/2 (ALPN), 421 for misdirected requests
 * (`sni_misdirected.ts`), and certificate rotation without restart.
 *
 * Two ways to learn which listener a connection belongs to
 * (`SniSource`):
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
 *
 * Listeners that validate client certificates (`tls_client_auth.ts`) are
 * relayed by the front door to a `node:tls` server of their own and served
 * from there by the same handler (and, for `h2` on a port with GRPCRoutes,
 * by the same HTTP/2 server); only `client-hello` can do that, so with
 * `first-request` their handshakes fail rather than skip the validation.
 * @module
 */
import type { Logger } from "../log/logger.ts";
import { silentLogger } from "../log/logger.ts";
import { isOutOfDescriptors, shedForDescriptors } from "./connection_server.ts";
import { serveHttpsConnection } from "./grpc_tls.ts";
import type { SniCertificates } from "./sni.ts";
import { connectionHostnames } from "./sni_misdirected.ts";
import type { FieldsHandler } from "./field_headers.ts";
import { type ClientAuth, createClientAuth, type DecryptedAlpn } from "./tls_client_auth.ts";
import type { ClientAuthOrigin as Origin } from "./tls_client_auth.ts";
import { type FrontDoor, openFrontDoor } from "./tls_front_door.ts";
import type { SniSource, TlsPortServer, TlsPortServerOptions } from "./tls_port_types.ts";
import { type TlsRequestGate, tlsRequestGate } from "./tls_request_gate.ts";
import { listenTlsWithSni, reusePortAvailable, type TlsConnectionHandler } from "./tls_server.ts";
import { closeQuietly } from "./tcp_relay.ts";
import { type ServeWithEngine, tlsPortUpgrades, type TrackedConnection } from "./upgrade_tls.ts";

interface Generation {
  listener: Deno.TlsListener;
  certificates: SniCertificates;
  resolvedNames: number;
  closed: boolean;
  accepting: Promise<void>;
}

/**
 * Binds an HTTPS port and serves it. Throws when the port cannot be bound.
 *
 * @example
 * ```ts
 * import { serveTlsPort } from "./tls_port_server.ts";
 * import type { TlsPortServerOptions } from "./tls_port_types.ts";
 * import type { SniCertificates } from "./sni.ts";
 * declare const options: TlsPortServerOptions, renewed: SniCertificates;
 * const server = serveTlsPort(options);
 * await server.update(renewed);
 * await server.shutdown();
 * ```
 */
export function serveTlsPort(options: TlsPortServerOptions): TlsPortServer {
  return new TlsPort(options);
}

/** An HTTPS port: its listeners, front door and live connections in named fields. */
class TlsPort implements TlsPortServer {
  readonly addr: Deno.NetAddr;
  readonly sniSource: SniSource;
  readonly #options: TlsPortServerOptions;
  readonly #log: Logger;
  readonly #maxResolvedNames: number;
  /** `client-hello`: connections come through the front door. */
  readonly #relayed: boolean;
  readonly #reusePort: boolean;
  readonly #live = new Set<TrackedConnection>();
  readonly #front: FrontDoor | undefined;
  /** `client-hello`: the servers of listeners that validate client certificates. */
  readonly #clientAuth: ClientAuth | undefined;
  /** Passes HTTP/1.1 upgrades through (`wss://`), when the gateway does. */
  readonly #upgrades: ReturnType<typeof tlsPortUpgrades>;
  #generationCount = 0;
  #stopping = false;
  /** Set by `stopAccepting`: the public socket is closed for good. */
  #retired: Promise<void> | undefined;
  #port: number;
  #rotating: Promise<void> = Promise.resolve();
  #current: Generation;

  constructor(options: TlsPortServerOptions) {
    this.#options = options;
    this.#log = (options.logger ?? silentLogger).child({ component: "tls", port: options.port });
    this.#maxResolvedNames = options.maxResolvedNames ?? 1000;
    this.sniSource = options.sniSource ?? "client-hello";
    this.#relayed = this.sniSource === "client-hello";
    this.#reusePort = !this.#relayed && (options.reusePort ?? reusePortAvailable());
    this.#port = options.port;
    this.#upgrades = tlsPortUpgrades(options, this.#log, this.#onError, this.#serveWithEngine);
    this.#current = this.#bind(options.certificates);
    if (this.#relayed) {
      this.#clientAuth = createClientAuth({
        logger: this.#log,
        lookup: (relayPort) => this.#front?.lookup(relayPort),
        serve: (conn, alpn) => this.#serveConnection(conn, this.#current, alpn),
        // Deno's HTTP engine serves only its own sockets.
        serveSocket: options.http1Engine === "deno"
          ? undefined
          : (conn, origin) => this.#serveConnection(conn, this.#current, "http/1.1", origin),
        localAddr: () => this.addr,
        handshakeTimeoutMs: options.clientAuthHandshakeTimeoutMs,
        onRefused: () => options.budget?.rejectedClientCertificate(),
      });
      try {
        this.#front = this.#openFrontDoor();
      } catch (error) {
        void this.#closeGeneration(this.#current);
        void this.#clientAuth.close();
        throw error;
      }
      this.#port = this.#front.addr.port;
    }
    this.addr = this.#front?.addr ?? this.#current.listener.addr as Deno.NetAddr;
  }

  get generation(): number {
    return this.#generationCount;
  }

  connections(): number {
    return this.#live.size;
  }

  update(certificates: SniCertificates): Promise<void> {
    if (this.#stopping || this.#retired) return Promise.resolve();
    if (certificates.fingerprint === this.#current.certificates.fingerprint) {
      // Same handshakes; keep the listener (and its warm cache).
      this.#current.certificates = certificates;
      this.#clientAuth?.retain(certificates);
      return Promise.resolve();
    }
    return this.#rotate(certificates).then(() => this.#clientAuth?.retain(certificates));
  }

  async shutdown(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    await this.stopAccepting();
    await this.#clientAuth?.close();
    const open = [...this.#live];
    const upgrades = this.#upgrades?.shutdown();
    await Promise.all(open.map(async (connection) => {
      await connection.shutdown().catch(() => {});
      await connection.finished;
    }));
    await upgrades;
    // Each relay ends once its TLS connection above has closed.
    await this.#clientAuth?.drained();
    await this.#front?.drained();
  }

  stopAccepting(): Promise<void> {
    this.#retired ??= (async () => {
      await this.#rotating;
      await this.#front?.close();
      await this.#closeGeneration(this.#current);
    })();
    return this.#retired;
  }

  #openFrontDoor(): FrontDoor {
    const { budget, watcher } = this.#options;
    return openFrontDoor({
      hostname: this.#options.hostname,
      port: this.#port,
      reusePort: this.#options.reusePort ?? false,
      budget,
      maxConnections: this.#options.maxConnections,
      onOutOfDescriptors: () => {
        if (budget !== undefined) shedForDescriptors(budget, watcher, this.#log);
      },
      target: (serverName) => {
        const { certificates } = this.#current;
        const entry = certificates.entryFor(serverName);
        const pair = entry && certificates.keyPairOf(entry);
        if (entry?.clientValidation && pair) return this.#clientAuth!.portFor(entry, pair);
        return (this.#current.listener.addr as Deno.NetAddr).port;
      },
      logger: this.#log,
    });
  }

  readonly #onError = (error: unknown): Response => {
    this.#log.error("HTTPS request failed inside the server", { error: describe(error) });
    return new Response("Internal Server Error\n", { status: 500 });
  };

  /** Without a relay, limits are checked here (the front door checks them otherwise). */
  #admit(): boolean {
    const max = this.#options.maxConnections ?? 0;
    if (max > 0 && this.#live.size >= max) {
      this.#options.budget?.rejectedByPort();
      return false;
    }
    return this.#options.budget?.tryAcquire() ?? true;
  }

  /**
   * Serves a TLS connection of Deno's listener, or (`decrypted` set: the
   * protocol its handshake negotiated) a decrypted one whose client passed
   * the client-certificate step; `origin`: that client, when `conn` is its
   * TLS socket itself rather than a relay.
   */
  #serveConnection(conn: Deno.Conn, gen: Generation, decrypted?: DecryptedAlpn, origin?: Origin) {
    const authenticated = decrypted !== undefined;
    const gate = this.#requestGate(gen, authenticated, origin);
    const handler = this.#gatedHandler(gate);
    // The upgrade diversion reads a TLS handshake; a decrypted connection has none.
    const diverted = authenticated
      ? undefined
      : this.#upgrades?.divert(conn as Deno.TlsConn, handler);
    const entry = diverted ?? this.#serveHttps(conn, handler, decrypted, this.#gatedFields(gate));
    entry.finished = entry.finished.then(() => {
      this.#live.delete(entry);
      // Relayed connections are counted by the front door.
      if (!this.#relayed) this.#options.budget?.release();
    });
    this.#live.add(entry);
  }

  /** The engine serves `conn` itself (or, for `h2` on a port with GRPCRoutes, our HTTP/2 server). */
  readonly #serveWithEngine: ServeWithEngine = (conn, handler) => this.#serveHttps(conn, handler);

  #serveHttps(
    conn: Deno.Conn,
    handler: TlsConnectionHandler,
    alpn?: DecryptedAlpn,
    fields?: FieldsHandler,
  ) {
    return serveHttpsConnection(conn, handler, {
      fields,
      watcher: this.#options.watcher,
      onError: this.#onError,
      grpcKind: this.#options.grpcKind,
      observer: this.#options.observer,
      http1Engine: this.#options.http1Engine,
      logger: this.#log,
      alpn,
    });
  }

  /**
   * The handler of one connection behind its gate (`tls_request_gate.ts`),
   * which learns the connection's listener (from the front door, or from its
   * first request) and answers 421 to a request that listener does not serve.
   */
  #gatedHandler(gate: TlsRequestGate): TlsConnectionHandler {
    const handler = this.#options.handler;
    const hostOf = connectionHostnames();
    return (request, info) => {
      const verdict = gate(hostOf(request), info);
      return verdict instanceof Response ? verdict : handler(request, verdict);
    };
  }

  /**
   * The fast path behind the same gate. A request it declines is gated again
   * on the `Request` path, with the same answer (the gate allows that).
   */
  #gatedFields(gate: TlsRequestGate): FieldsHandler | undefined {
    const fields = this.#options.fields;
    if (fields === undefined) return undefined;
    const hostOf = connectionHostnames();
    return (request, info) => {
      const verdict = gate(hostOf(request), info);
      return verdict instanceof Response ? verdict : fields(request, verdict);
    };
  }

  #requestGate(generation: Generation, authenticated: boolean, known?: Origin): TlsRequestGate {
    return tlsRequestGate({
      port: this.#port,
      address: this.#options.address,
      getTable: this.#options.getTable,
      authenticated,
      origin: (port) =>
        known ?? (authenticated ? this.#clientAuth?.originOf(port) : this.#front?.lookup(port)),
      listenerOf: (serverName) => generation.certificates.entryFor(serverName)?.listenerId,
    });
  }

  async #acceptLoop(generation: Generation): Promise<void> {
    const { budget, watcher } = this.#options;
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
        if (budget !== undefined && isOutOfDescriptors(error)) {
          shedForDescriptors(budget, watcher, this.#log);
        }
        this.#log.warn("Cannot accept a TLS connection", { error: describe(error) });
        await new Promise((resolve) => setTimeout(resolve, 50));
        continue;
      }
      if (!this.#relayed && !this.#admit()) {
        closeQuietly(conn);
        continue;
      }
      this.#serveConnection(conn, generation);
    }
  }

  #bind(certificates: SniCertificates): Generation {
    const relayed = this.#relayed;
    const generation = { certificates, resolvedNames: 0, closed: false } as Generation;
    generation.listener = listenTlsWithSni({
      // Relayed: only the front door dials this listener.
      hostname: relayed ? "127.0.0.1" : this.#options.hostname,
      port: relayed ? 0 : this.#port,
      reusePort: this.#reusePort,
      keyPair: certificates.uniformKeyPair,
      resolve: (serverName) => {
        // Called once per distinct name per listener (Deno caches the rest).
        generation.resolvedNames++;
        if (generation.resolvedNames === this.#maxResolvedNames && !this.#retired) {
          this.#log.info("Replacing the TLS listener to bound its server-name cache", {
            names: generation.resolvedNames,
          });
          queueMicrotask(() => {
            void this.#rotate(generation.certificates).catch((error) =>
              this.#log.error("Cannot replace the TLS listener", { error: describe(error) })
            );
          });
        }
        return generation.certificates.resolve(serverName);
      },
    });
    if (!relayed) this.#port = (generation.listener.addr as Deno.NetAddr).port;
    this.#generationCount++;
    generation.accepting = this.#acceptLoop(generation);
    return generation;
  }

  async #closeGeneration(generation: Generation): Promise<void> {
    if (generation.closed) return;
    generation.closed = true;
    closeQuietly(generation.listener);
    await generation.accepting;
  }

  #rotate(certificates: SniCertificates): Promise<void> {
    const step = this.#rotating.then(async () => {
      if (this.#stopping || this.#retired) return;
      const old = this.#current;
      if (this.#relayed || this.#reusePort) {
        this.#current = this.#bind(certificates);
        await this.#closeGeneration(old);
      } else {
        await this.#closeGeneration(old);
        this.#current = this.#bind(certificates);
      }
      this.#log.info("TLS certificates rotated", {
        generation: this.#generationCount,
        certificates: certificates.entries.map((e) => e.certificateId),
      });
    });
    this.#rotating = step.catch(() => {});
    return step;
  }
}

/** An error's name and message, never its other properties (which could hold PEM). */
function describe(error: unknown): { name: string; message: string } {
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: "Error", message: String(error) };
}
