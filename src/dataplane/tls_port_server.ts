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
 * - `handshake`: the public socket is the runtime's `node:tls` server
 *   (`tls_handshake_door.ts`), which picks the certificate by SNI and reports
 *   each connection's SNI: the same binding as `client-hello` without the
 *   relay. Not for listeners that validate client certificates.
 * - `client-handshake`: the same server asking every handshake for a client
 *   certificate, for a port whose every listener validates them.
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
 * Listeners that validate client certificates beside others that do not
 * (`tls_client_auth.ts`) are relayed by the front door to a `node:tls` server
 * of their own and served from there by the same handler (`h2` by the same
 * HTTP/2 server, `grpc_tls.ts`); with `first-request` (and `handshake`) their
 * handshakes fail rather than skip the validation.
 * @module
 */
import type { Logger } from "../log/logger.ts";
import { silentLogger } from "../log/logger.ts";
import { isOutOfDescriptors, shedForDescriptors } from "./connection_server.ts";
import type { SniCertificates } from "./sni.ts";
import { type ClientAuth, createClientAuth } from "./tls_client_auth.ts";
import type { DecryptedAlpn } from "./tls_decrypted_relay.ts";
import type { ClientAuthOrigin as Origin } from "./tls_client_auth.ts";
import { describe, TlsConnections } from "./tls_connection_serving.ts";
import { type FrontDoor, type FrontDoorOrigin, openFrontDoor } from "./tls_front_door.ts";
import { type HandshakeDoor, openHandshakeDoor } from "./tls_handshake_door.ts";
import type { SniSource, TlsPortServer, TlsPortServerOptions } from "./tls_port_types.ts";
import { listenTlsWithSni, reusePortAvailable } from "./tls_server.ts";
import { closeQuietly } from "./tcp_relay.ts";

interface Generation {
  /** Absent with `handshake`: the `node:tls` server terminates TLS. */
  listener?: Deno.TlsListener;
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
  readonly sniSource: SniSource;
  readonly clientCertificates?: TlsPortServer["clientCertificates"];
  readonly ready: Promise<void>;
  #addr: Deno.NetAddr;
  readonly #options: TlsPortServerOptions;
  readonly #log: Logger;
  readonly #maxResolvedNames: number;
  /** `client-hello`: connections come through the front door. */
  readonly #relayed: boolean;
  readonly #reusePort: boolean;
  readonly #connections: TlsConnections;
  readonly #front: FrontDoor | undefined;
  /** `handshake`: the public `node:tls` server. */
  readonly #door: HandshakeDoor | undefined;
  /** `client-hello`: the servers of listeners that validate client certificates. */
  readonly #clientAuth: ClientAuth | undefined;
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
    if (this.sniSource === "client-handshake") {
      this.clientCertificates = options.clientCertificates ?? "requested";
    }
    this.#relayed = this.sniSource === "client-hello";
    this.#reusePort = !this.#relayed && (options.reusePort ?? reusePortAvailable());
    this.#port = options.port;
    this.#connections = new TlsConnections(options, this.#log, () => this.#port);
    if (this.sniSource === "handshake" || this.sniSource === "client-handshake") {
      this.#current = {
        certificates: options.certificates,
        resolvedNames: 0,
        closed: false,
      } as Generation;
      this.#current.accepting = Promise.resolve();
      this.#door = this.#openHandshakeDoor();
      this.#addr = { transport: "tcp", hostname: options.hostname, port: options.port };
      this.ready = this.#door.ready.then((addr) => {
        this.#addr = addr;
        this.#port = addr.port;
      });
      return;
    }
    this.ready = Promise.resolve();
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
    this.#addr = this.#front?.addr ?? this.#current.listener!.addr as Deno.NetAddr;
  }

  get addr(): Deno.NetAddr {
    return this.#addr;
  }

  get generation(): number {
    return this.#generationCount;
  }

  connections(): number {
    return this.#connections.live.size;
  }

  update(certificates: SniCertificates): Promise<void> {
    if (this.#stopping || this.#retired) return Promise.resolve();
    if (certificates.fingerprint === this.#current.certificates.fingerprint) {
      // Same handshakes; keep the listener (and its warm cache).
      this.#current.certificates = certificates;
      this.#clientAuth?.retain(certificates);
      return Promise.resolve();
    }
    if (this.#door !== undefined) {
      // The door asks for the choice per handshake: no listener to replace.
      this.#current.certificates = certificates;
      this.#logRotation(certificates);
      return Promise.resolve();
    }
    return this.#rotate(certificates).then(() => this.#clientAuth?.retain(certificates));
  }

  async shutdown(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    await this.stopAccepting();
    await this.#clientAuth?.close();
    await this.#connections.shutdown();
    // Each relay ends once its TLS connection above has closed.
    await this.#clientAuth?.drained();
    await this.#front?.drained();
    await this.#door?.drained();
  }

  stopAccepting(): Promise<void> {
    this.#retired ??= (async () => {
      await this.#rotating;
      await this.#front?.close();
      await this.#door?.close();
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
        return (this.#current.listener!.addr as Deno.NetAddr).port;
      },
      logger: this.#log,
    });
  }

  #openHandshakeDoor(): HandshakeDoor {
    const listenerOf = (serverName: string) =>
      this.#current.certificates.entryFor(serverName)?.listenerId;
    const validating = this.sniSource === "client-handshake";
    // The door counts its connections against the budget. Its connections
    // on a validating port all went through the client-certificate step.
    const facts = { listenerOf, authenticated: validating, releaseBudget: false };
    const door: HandshakeDoor = openHandshakeDoor({
      hostname: this.#options.hostname,
      port: this.#port,
      reusePort: this.#options.reusePort,
      certificates: () => this.#current.certificates,
      logger: this.#log,
      handshakeTimeoutMs: this.#options.clientAuthHandshakeTimeoutMs,
      budget: this.#options.budget,
      maxConnections: this.#options.maxConnections,
      // Deno's HTTP engine serves only its own sockets.
      serveSocket: this.#options.http1Engine === "deno"
        ? undefined
        : (conn, origin: FrontDoorOrigin) =>
          this.#connections.serve(conn, {
            ...facts,
            origin: () => origin,
            alpn: "http/1.1",
            divert: "decrypted",
          }),
      serveDecrypted: (conn, alpn) =>
        this.#connections.serve(conn, { ...facts, origin: (p) => door.originOf(p), alpn }),
      ...(validating
        ? {
          clientCertificates: this.clientCertificates,
          onRefused: () => this.#options.budget?.rejectedClientCertificate(),
        }
        : {}),
    });
    return door;
  }

  /** Without a relay, limits are checked here (the front door checks them otherwise). */
  #admit(): boolean {
    const max = this.#options.maxConnections ?? 0;
    if (max > 0 && this.#connections.live.size >= max) {
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
    this.#connections.serve(conn, {
      listenerOf: (serverName) => gen.certificates.entryFor(serverName)?.listenerId,
      authenticated,
      origin: (port) =>
        origin ?? (authenticated ? this.#clientAuth?.originOf(port) : this.#front?.lookup(port)),
      alpn: decrypted,
      // The upgrade diversion reads a TLS handshake; a decrypted connection has none.
      divert: authenticated ? undefined : "tls",
      // Relayed connections are counted by the front door.
      releaseBudget: !this.#relayed,
    });
  }

  async #acceptLoop(generation: Generation): Promise<void> {
    const { budget, watcher } = this.#options;
    while (!generation.closed) {
      let conn: Deno.TlsConn;
      try {
        conn = await generation.listener!.accept();
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
      log: this.#log,
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
    if (generation.listener !== undefined) closeQuietly(generation.listener);
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
      this.#logRotation(certificates);
    });
    this.#rotating = step.catch(() => {});
    return step;
  }

  #logRotation(certificates: SniCertificates): void {
    this.#log.info("TLS certificates rotated", {
      generation: this.#generationCount,
      certificates: certificates.entries.map((e) => e.certificateId),
    });
  }
}
