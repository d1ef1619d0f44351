/**
 * The public socket of an HTTPS port of several listeners (`SniSource`
 * `handshake`, `tls_port_types.ts`): the runtime's `node:tls` server, which
 * picks each handshake's certificate by its SNI (`SNICallback`, asked on
 * every handshake, so a new certificate choice needs no new listener) and
 * tells the server the name each connection asked for. The connection's
 * listener is then known without the ClientHello relay of
 * `tls_front_door.ts`, which cost a loopback connection per client and two
 * more socket reads and writes per exchange (measured: 105 against 64 µs
 * of CPU a kept-alive HTTP/1.1 request, `bench/tls_bench.ts`).
 *
 * An HTTP/1.1 connection on our own HTTP/1.1 server is served straight from
 * its `node:tls` socket (`tls_socket_conn.ts`); `h2`, and HTTP/1.1 with
 * `--http1-engine deno`, take the decrypted relay (`tls_decrypted_relay.ts`)
 * to Deno's engine, which serves only its own sockets (our HTTP/2 server
 * on the socket itself measured slower than that relay: 231 against 144 µs
 * of CPU a kept-alive h2 request).
 *
 * A `node:tls` server asks every handshake or none for a client
 * certificate, so a port that mixes listeners validating client
 * certificates with others keeps the front door (`tls_sni_choice.ts`). A
 * door opened with `clientCertificates` serves a port whose every listener
 * validates: each handshake is asked for a certificate, verified against the
 * CA bundle of the listener its SNI selects (that listener's context), and
 * refused when the listener is `AllowValidOnly` and it did not verify. A
 * door of either kind refuses the names of the other kind's listeners
 * should a rebind lag behind the config.
 *
 * The bind settles later than a `Deno.listen` would (`node:net` binds on a
 * later turn): {@linkcode HandshakeDoor.ready} rejects when it failed.
 * @module
 */
import { createSecureContext, createServer, type SecureContext, type TLSSocket } from "node:tls";
import { createPrivateKey } from "node:crypto";
import type { Socket } from "node:net";
import type { Logger } from "../log/logger.ts";
import { admitConnection, type ConnectionBudget } from "./connection_budget.ts";
import type { SniCertificates, SniEntry } from "./sni.ts";
import type { FrontDoorOrigin } from "./tls_front_door.ts";
import { type DecryptedAlpn, DecryptedRelay } from "./tls_decrypted_relay.ts";
import { TLS_ALPN_PROTOCOLS, type TlsKeyPair } from "./tls_server.ts";
import type { ClientCertificateDemand } from "./tls_port_types.ts";
import { socketConn } from "./tls_socket_conn.ts";

/** Options of {@linkcode openHandshakeDoor}. */
export interface HandshakeDoorOptions {
  hostname: string;
  /** `0` picks a free port. */
  port: number;
  /** Share the port with other sockets (`--workers`); needs `--unstable-net`. */
  reusePort?: boolean;
  /** The port's certificate choice now (read per handshake). */
  certificates: () => SniCertificates;
  logger: Logger;
  /** The longest TLS handshake, in ms. Default 10 000. */
  handshakeTimeoutMs?: number;
  /** Shared limit of client connections; past it a new one is closed at once. */
  budget?: ConnectionBudget;
  /** Limit of this port alone; `0` or absent: none. */
  maxConnections?: number;
  /** Serves an HTTP/1.1 connection from its socket; absent: relayed like `h2`. */
  serveSocket?: (conn: Deno.Conn, origin: FrontDoorOrigin) => void;
  /** Serves a relayed, decrypted connection; its origin is {@linkcode HandshakeDoor.originOf}. */
  serveDecrypted: (conn: Deno.TcpConn, alpn: DecryptedAlpn) => void;
  /**
   * Ask every handshake for a client certificate (a port whose every
   * listener validates them). `required`: a handshake without one that
   * verifies fails (every listener `AllowValidOnly`); `requested`: it
   * completes, and a client of an `AllowValidOnly` listener whose certificate
   * did not verify is closed at once. Absent: none is asked for.
   */
  clientCertificates?: ClientCertificateDemand;
  /** A client-certificate handshake failed or its client was refused. */
  onRefused?: () => void;
}

/** A bound (or binding) handshake door. */
export interface HandshakeDoor {
  /** Settles once the port is bound; rejects when it cannot be. */
  readonly ready: Promise<Deno.NetAddr>;
  /** The origin of a relayed connection, by its remote (relay) port. */
  originOf(relayPort: number): FrontDoorOrigin | undefined;
  /** Client connections open, handshakes included. */
  connections(): number;
  /** Stops accepting; open connections keep being served. */
  close(): Promise<void>;
  /** Settles once every client connection closed. */
  drained(): Promise<void>;
}

/**
 * Binds the public socket of a port whose handshakes report their SNI.
 *
 * @example
 * ```ts
 * import { openHandshakeDoor } from "./tls_handshake_door.ts";
 * import { silentLogger } from "../log/logger.ts";
 * import type { SniCertificates } from "./sni.ts";
 * declare const certificates: SniCertificates;
 * const door = openHandshakeDoor({
 *   hostname: "127.0.0.1",
 *   port: 0,
 *   certificates: () => certificates,
 *   logger: silentLogger,
 *   serveDecrypted: (conn) => conn.close(),
 * });
 * const addr = await door.ready;
 * await door.close();
 * ```
 */
export function openHandshakeDoor(options: HandshakeDoorOptions): HandshakeDoor {
  return new NodeTlsDoor(options);
}

/** The `node:tls` server of a port and its open connections, in named fields. */
class NodeTlsDoor implements HandshakeDoor {
  readonly ready: Promise<Deno.NetAddr>;
  readonly #options: HandshakeDoorOptions;
  readonly #server: ReturnType<typeof createServer>;
  readonly #relay: DecryptedRelay<FrontDoorOrigin>;
  readonly #contexts = new WeakMap<TlsKeyPair | SniEntry, SecureContext>();
  /** One per client connection, settled when its socket closed. */
  readonly #running = new Set<Promise<void>>();
  #closed = false;

  constructor(options: HandshakeDoorOptions) {
    this.#options = options;
    this.#relay = new DecryptedRelay({ logger: options.logger, serve: options.serveDecrypted });
    this.#server = createServer({
      SNICallback: (name, done) => this.#contextFor(name, done),
      ALPNProtocols: [...TLS_ALPN_PROTOCOLS],
      handshakeTimeout: options.handshakeTimeoutMs ?? 10_000,
      ...(options.clientCertificates === undefined ? {} : {
        requestCert: true,
        rejectUnauthorized: options.clientCertificates === "required",
      }),
    });
    this.#server.on("connection", (socket: Socket) => this.#admit(socket));
    this.#server.on("secureConnection", (socket: TLSSocket) => this.#serve(socket));
    this.#server.on("tlsClientError", (error: Error, socket?: TLSSocket) => {
      // Unknown names, clients refusing the certificate, slow handshakes:
      // the client's business. Deno 2.9.6 leaves a timed-out socket open.
      socket?.destroy();
      if (options.clientCertificates !== undefined) options.onRefused?.();
      options.logger.debug("TLS connection ended with an error", { error: error.message });
    });
    this.ready = new Promise<Deno.NetAddr>((resolve, reject) => {
      this.#server.once("error", reject);
      this.#server.listen({
        port: options.port,
        host: options.hostname,
        ...(options.reusePort ? { reusePort: true } : {}),
      }, () => {
        this.#server.off("error", reject);
        this.#server.on("error", (error: Error) => {
          options.logger.warn("Cannot accept a TLS connection", { error: error.message });
        });
        const { address, port } = this.#server.address() as { address: string; port: number };
        resolve({ transport: "tcp", hostname: address, port });
      });
    });
    // A failed bind is reported through `ready`, never as an unhandled rejection here.
    this.ready.catch(() => {});
  }

  originOf(relayPort: number): FrontDoorOrigin | undefined {
    return this.#relay.originOf(relayPort);
  }

  connections(): number {
    return this.#running.size;
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    this.#relay.close();
    // Its callback waits for every connection; the listening socket closes now.
    this.#server.close();
    return this.ready.then(() => {}, () => {});
  }

  async drained(): Promise<void> {
    while (this.#running.size > 0) await Promise.all([...this.#running]);
  }

  /** Counts a new TCP connection against the limits, or closes it. */
  #admit(socket: Socket): void {
    const { budget, maxConnections } = this.#options;
    if (this.#closed || !admitConnection(this.#running.size, maxConnections, budget)) {
      socket.destroy();
      this.#options.logger.debug("Closing a new connection: a connection limit is reached");
      return;
    }
    socket.setNoDelay(true);
    const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    this.#running.add(closed);
    void closed.then(() => {
      this.#running.delete(closed);
      budget?.release();
    });
  }

  #contextFor(name: string, done: (error: Error | null, context?: SecureContext) => void): void {
    if (this.#options.clientCertificates !== undefined) return this.#validatingContext(name, done);
    const certificates = this.#options.certificates();
    const pair = certificates.resolve(name);
    // The message reaches the handshake error, never the client.
    if (pair === undefined) return done(new Error(`No certificate for server name "${name}"`));
    let context = this.#contexts.get(pair);
    if (context === undefined) {
      try {
        // A damaged key passes `createSecureContext` and then stalls the
        // handshake until its timeout (Deno 2.9.6): parse it first, once.
        createPrivateKey(pair.key);
        context = createSecureContext({ cert: pair.cert, key: pair.key });
      } catch (error) {
        return done(error as Error);
      }
      this.#contexts.set(pair, context);
    }
    done(null, context);
  }

  /**
   * The context of the validating listener `name` selects: its certificate
   * and its CA bundle, which the handshake's client certificate is verified
   * against. A name whose listener does not validate is refused.
   */
  #validatingContext(
    name: string,
    done: (error: Error | null, context?: SecureContext) => void,
  ): void {
    const certificates = this.#options.certificates();
    const entry = certificates.entryFor(name);
    const pair = entry && certificates.keyPairOf(entry);
    const validation = entry?.clientValidation;
    if (pair === undefined || validation === undefined) {
      return done(new Error(`No client-certificate listener for server name "${name}"`));
    }
    let context = this.#contexts.get(entry!);
    if (context === undefined) {
      try {
        createPrivateKey(pair.key);
        context = createSecureContext({
          cert: pair.cert,
          key: pair.key,
          ca: [...validation.caCertificates],
        });
      } catch (error) {
        return done(error as Error);
      }
      // Entries are frozen and replaced on a config change: a new CA bundle gets a new context.
      this.#contexts.set(entry!, context);
    }
    done(null, context);
  }

  /** Whether a client-certificate handshake's client may be served (its listener's mode). */
  #admitted(socket: TLSSocket, serverName: string): boolean {
    if (this.#options.clientCertificates !== "requested" || socket.authorized === true) return true;
    const mode = this.#options.certificates().entryFor(serverName)?.clientValidation?.mode;
    if (mode === "AllowInsecureFallback") return true;
    socket.destroy();
    this.#options.onRefused?.();
    this.#options.logger.debug("Refused a client without a valid certificate", { serverName });
    return false;
  }

  #serve(socket: TLSSocket): void {
    // Without a listener a reset would be an uncaught error.
    socket.on("error", () => socket.destroy());
    // Node's types leave it out; Node and Deno set it (`null` without SNI).
    const sni = (socket as TLSSocket & { servername?: unknown }).servername;
    const serverName = typeof sni === "string" ? sni.toLowerCase() : "";
    if (!this.#admitted(socket, serverName)) return;
    const remoteAddr: Deno.NetAddr = {
      transport: "tcp",
      hostname: socket.remoteAddress ?? "",
      port: socket.remotePort ?? 0,
    };
    const origin = { serverName, remoteAddr };
    const serveSocket = this.#options.serveSocket;
    if (serveSocket === undefined || socket.alpnProtocol === "h2") {
      void this.#relay.relay(socket, origin);
      return;
    }
    const localAddr: Deno.NetAddr = {
      transport: "tcp",
      hostname: socket.localAddress ?? "",
      port: socket.localPort ?? 0,
    };
    try {
      serveSocket(socketConn(socket, { remoteAddr, localAddr }), origin);
    } catch (error) {
      this.#options.logger.debug("Cannot serve a TLS connection", {
        error: (error as Error).message,
      });
      socket.destroy();
    }
  }
}
