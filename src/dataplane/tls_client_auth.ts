/**
 * Client-certificate validation (mutual TLS) for the HTTPS listeners whose
 * Gateway asks for it (`Gateway.spec.tls.frontend`). Deno's own TLS server
 * cannot ask a client for a certificate, so these connections are
 * terminated by the runtime's `node:tls` server instead, which can: it asks
 * for a certificate, verifies its chain against the listener's CA bundle
 * and the client's proof that it holds the key, and refuses the handshake
 * (`AllowValidOnly`) or lets the client in regardless
 * (`AllowInsecureFallback`).
 *
 * Why a `node:tls` server bound on loopback, fed by the front door: measured
 * on Deno 2.9.6, a `tls.TLSSocket` wrapped around an in-process stream
 * requests a certificate but does not verify it (a certificate of another
 * CA, or one presented without its key, got through), while a listening
 * `tls.Server` does both. So the front door (`tls_front_door.ts`) relays a
 * validating listener's connections, ClientHello first, to that listener's
 * own `tls.Server`, exactly as it relays the others to Deno's TLS listener.
 *
 * An HTTP/1.1 connection on our own HTTP/1.1 server is served straight from
 * its `node:tls` socket (`tls_socket_conn.ts`), through the port's usual
 * path (client timeouts, 421 checks, the fast path): nothing about serving
 * a request differs from any other HTTPS listener. Other connections (`h2`,
 * or `--http1-engine deno`, whose engine serves only its own sockets) are
 * relayed once more, decrypted (`tls_decrypted_relay.ts`), to a plain
 * loopback listener served the same way; measured, the direct path saves
 * that relay's socket reads and writes, about 26 µs of CPU a request
 * (`bench/tls_bench.ts`).
 *
 * One `tls.Server` per validating listener and settings (certificate, CA
 * bundle, mode): a change starts a new server for new connections and
 * retires the old one, whose connections finish on their own.
 * @module
 */
import { createHash } from "node:crypto";
import { createServer, type Server, type TLSSocket } from "node:tls";
import type { AddressInfo, Socket } from "node:net";
import type { Logger } from "../log/logger.ts";
import type { SniCertificates, SniEntry } from "./sni.ts";
import type { FrontDoorOrigin } from "./tls_front_door.ts";
import { TLS_ALPN_PROTOCOLS, type TlsKeyPair } from "./tls_server.ts";
import { type DecryptedAlpn, DecryptedRelay } from "./tls_decrypted_relay.ts";
import { socketConn } from "./tls_socket_conn.ts";

/** A client whose handshake passed the client-certificate step. */
export interface ClientAuthOrigin extends FrontDoorOrigin {
  /** The listener entry whose settings the handshake used. */
  listenerId: string;
  /** True when the client presented a certificate that verified. */
  verified: boolean;
}

/** Options of {@linkcode createClientAuth}. */
export interface ClientAuthOptions {
  logger: Logger;
  /** The front door's record of a relayed connection, by the relay's local port. */
  lookup: (relayPort: number) => FrontDoorOrigin | undefined;
  /**
   * Serves a decrypted connection; its origin is {@linkcode ClientAuth.originOf}
   * its remote port. `alpn`: the protocol its handshake negotiated, `h2` or not.
   */
  serve: (conn: Deno.TcpConn, alpn: DecryptedAlpn) => void;
  /**
   * Serves a validated HTTP/1.1 connection straight from its TLS socket
   * (`tls_socket_conn.ts`), without the decrypted relay; absent: relayed
   * like `h2`.
   */
  serveSocket?: (conn: Deno.Conn, origin: ClientAuthOrigin) => void;
  /** The port's public address, as a directly served connection's `localAddr`. */
  localAddr?: () => Deno.NetAddr;
  /** The longest TLS handshake, in ms. Default 10 000. */
  handshakeTimeoutMs?: number;
  /** A handshake failed: no valid certificate (`AllowValidOnly`), a bad one, or too slow. */
  onRefused?: () => void;
}

/** The client-certificate servers of one HTTPS port. */
export interface ClientAuth {
  /** The loopback port of the TLS server for `entry`, started on first use. */
  portFor(entry: SniEntry, pair: TlsKeyPair): Promise<number>;
  /** The client of a decrypted connection, by its remote (relay) port. */
  originOf(relayPort: number): ClientAuthOrigin | undefined;
  /** Retires the servers of settings no entry of `certificates` has any more. */
  retain(certificates: SniCertificates): void;
  /** Decrypted connections relayed now. */
  relays(): number;
  /** Stops every server and the plain listener; open relays keep running. */
  close(): Promise<void>;
  /** Settles once every relay ended. */
  drained(): Promise<void>;
}

interface ValidatingServer {
  server: Server;
  port: Promise<number>;
}

/**
 * Creates the client-certificate servers of a port; they start on first use.
 *
 * @example
 * ```ts
 * import { createClientAuth } from "./tls_client_auth.ts";
 * import { createLogger } from "../log/logger.ts";
 * declare const serve: (conn: Deno.TcpConn) => void;
 * const auth = createClientAuth({ logger: createLogger(), lookup: () => undefined, serve });
 * await auth.close();
 * ```
 */
export function createClientAuth(options: ClientAuthOptions): ClientAuth {
  return new ValidatingServers(options);
}

/** The servers of one port, by settings, and the relays they feed, in named fields. */
class ValidatingServers implements ClientAuth {
  readonly #options: ClientAuthOptions;
  readonly #log: Logger;
  /** By {@linkcode hashSettings}. */
  readonly #servers = new Map<string, ValidatingServer>();
  /** Decrypted relays, by their local port. */
  readonly #relay: DecryptedRelay<ClientAuthOrigin>;
  readonly #running = new Set<Promise<void>>();
  /**
   * A table's entries are frozen and live as long as it does, so a
   * connection pays for the hash only after a config change.
   */
  readonly #keys = new WeakMap<SniEntry, string>();
  #closed = false;

  constructor(options: ClientAuthOptions) {
    this.#options = options;
    this.#log = options.logger;
    this.#relay = new DecryptedRelay({ logger: options.logger, serve: options.serve });
  }

  portFor(entry: SniEntry, pair: TlsKeyPair): Promise<number> {
    if (this.#closed) {
      return Promise.reject(new Error("Cannot relay a connection: the port is closing"));
    }
    const key = this.#settingsKey(entry, pair);
    const found = this.#servers.get(key);
    if (found !== undefined) return found.port;
    const started = this.#start(entry, pair);
    this.#servers.set(key, started);
    // A server that could not listen is forgotten: the next connection tries again.
    started.port.catch(() => {
      if (this.#servers.get(key) === started) this.#servers.delete(key);
    });
    this.#log.info("Started a client-certificate TLS server", {
      listener: entry.listenerId,
      mode: entry.clientValidation!.mode,
      cas: entry.clientValidation!.caRefs,
    });
    return started.port;
  }

  originOf(relayPort: number): ClientAuthOrigin | undefined {
    return this.#relay.originOf(relayPort);
  }

  retain(certificates: SniCertificates): void {
    const keep = new Set<string>();
    for (const entry of certificates.entries) {
      const pair = certificates.keyPairOf(entry);
      if (entry.clientValidation && pair) keep.add(this.#settingsKey(entry, pair));
    }
    for (const [key, found] of this.#servers) {
      if (keep.has(key)) continue;
      this.#servers.delete(key);
      // Stops accepting; the connections it holds finish on their own.
      found.server.close();
    }
  }

  relays(): number {
    return this.#running.size;
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    for (const found of this.#servers.values()) found.server.close();
    this.#servers.clear();
    this.#relay.close();
    return Promise.resolve();
  }

  async drained(): Promise<void> {
    while (this.#running.size > 0) await Promise.all([...this.#running]);
  }

  #settingsKey(entry: SniEntry, pair: TlsKeyPair): string {
    let key = this.#keys.get(entry);
    if (key === undefined) this.#keys.set(entry, key = hashSettings(entry, pair));
    return key;
  }

  /** Serves one validated HTTP/1.1 client from its socket; settles when the socket closed. */
  #serveDirect(
    socket: TLSSocket,
    entry: SniEntry,
    serve: (conn: Deno.Conn, origin: ClientAuthOrigin) => void,
  ): Promise<void> {
    const front = this.#options.lookup(socket.remotePort ?? -1);
    if (front === undefined) {
      // Only the front door dials this server; anything else gets nothing.
      socket.destroy();
      return Promise.resolve();
    }
    const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    const origin = { ...front, listenerId: entry.listenerId, verified: socket.authorized === true };
    const localAddr = this.#options.localAddr?.() ??
      { transport: "tcp", hostname: "127.0.0.1", port: socket.localPort ?? 0 };
    try {
      serve(socketConn(socket, { remoteAddr: front.remoteAddr, localAddr }), origin);
    } catch (error) {
      this.#log.debug("Cannot serve a client-certificate connection", {
        error: (error as Error).message,
      });
      socket.destroy();
    }
    return closed;
  }

  /** Relays one validated client's decrypted stream to the plain listener. */
  #relayDecrypted(socket: TLSSocket, entry: SniEntry): Promise<void> {
    const front = this.#options.lookup(socket.remotePort ?? -1);
    if (front === undefined) {
      // Only the front door dials this server; anything else gets nothing.
      socket.destroy();
      return Promise.resolve();
    }
    const verified = socket.authorized === true;
    return this.#relay.relay(socket, { ...front, listenerId: entry.listenerId, verified });
  }

  #start(entry: SniEntry, pair: TlsKeyPair): ValidatingServer {
    const validation = entry.clientValidation!;
    const log = this.#log.child({ listener: entry.listenerId });
    const server = createServer({
      cert: pair.cert,
      key: pair.key,
      ca: [...validation.caCertificates],
      requestCert: true,
      // AllowValidOnly: no certificate, or one that does not verify, fails
      // the handshake. AllowInsecureFallback: the client is served anyway.
      rejectUnauthorized: validation.mode === "AllowValidOnly",
      ALPNProtocols: [...TLS_ALPN_PROTOCOLS],
      handshakeTimeout: this.#options.handshakeTimeoutMs ?? 10_000,
    });
    // Our servers write an answer in pieces (a streamed body, HTTP/2 frames):
    // with Nagle's algorithm on, each later piece would wait for the front
    // door's delayed ACK, about 40 ms.
    server.on("connection", (socket: Socket) => socket.setNoDelay(true));
    server.on("secureConnection", (socket: TLSSocket) => {
      // Without a listener a reset would be an uncaught error.
      socket.on("error", () => socket.destroy());
      const run = this.#options.serveSocket !== undefined && socket.alpnProtocol !== "h2"
        ? this.#serveDirect(socket, entry, this.#options.serveSocket)
        : this.#relayDecrypted(socket, entry);
      this.#running.add(run);
      void run.finally(() => this.#running.delete(run));
    });
    server.on("tlsClientError", (error: Error, socket?: TLSSocket) => {
      // Deno 2.9.6 reports a handshake timeout here but leaves the socket
      // open: a client stalling mid-handshake would hold it forever.
      socket?.destroy();
      this.#options.onRefused?.();
      log.debug("Client-certificate handshake failed", { error: error.message });
    });
    server.on("error", (error: Error) => {
      log.warn("Client-certificate TLS server failed", { error: error.message });
    });
    const port = new Promise<number>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => {
        server.off("error", reject);
        resolve((server.address() as AddressInfo).port);
      });
    });
    return { server, port };
  }
}

/** Everything that decides what a handshake on the entry's server does. */
function hashSettings(entry: SniEntry, pair: TlsKeyPair): string {
  const validation = entry.clientValidation!;
  const hash = createHash("sha256");
  hash.update(`${entry.listenerId}\0${validation.mode}\0`);
  for (const pem of validation.caCertificates) hash.update(pem).update("\0");
  hash.update(pair.cert).update("\0").update(pair.key);
  return hash.digest("hex");
}
