/**
 * The decrypted relay of a `node:tls` socket: its plaintext copied both ways
 * to a plain loopback connection that the port serves like any other
 * (`tls_client_auth_relay.ts` copies). Deno's HTTP engine serves only its
 * own sockets, so a connection terminated by `node:tls` (client-certificate
 * listeners, `tls_client_auth.ts`; ports whose `node:tls` server reports
 * the SNI, `tls_handshake_door.ts`) takes it for `h2`, and for HTTP/1.1
 * with `--http1-engine deno`.
 *
 * A decrypted stream no longer says which protocol its handshake
 * negotiated, so connections that chose `h2` by ALPN are relayed to a plain
 * listener of their own: the port learns the protocol from the listener
 * that accepted the connection, at accept time, with no race against the
 * relay's bookkeeping (gRPC needs it: `grpc_tls.ts`). The relay's local
 * port maps an accepted plain connection back to its client
 * ({@linkcode DecryptedRelay.originOf}), registered before the first byte
 * is relayed.
 * @module
 */
import type { TLSSocket } from "node:tls";
import type { Logger } from "../log/logger.ts";
import { closeQuietly } from "./tcp_relay.ts";
import { toConn, toSocket } from "./tls_client_auth_relay.ts";

/** The protocol a decrypted connection's handshake negotiated by ALPN: `h2`, or HTTP/1.1. */
export type DecryptedAlpn = "h2" | "http/1.1";

/** Options of {@linkcode DecryptedRelay}. */
export interface DecryptedRelayOptions {
  logger: Logger;
  /**
   * Serves a decrypted connection; its origin is
   * {@linkcode DecryptedRelay.originOf} its remote port.
   */
  serve: (conn: Deno.TcpConn, alpn: DecryptedAlpn) => void;
  /** How long a client has to close its side once the engine closed, in ms. Default 5 000. */
  closeGraceMs?: number;
}

/**
 * The plain listeners of one port's decrypted relays and the origins of the
 * relays running, by the relay's local port.
 *
 * @example
 * ```ts
 * import { DecryptedRelay } from "./tls_decrypted_relay.ts";
 * import { silentLogger } from "../log/logger.ts";
 * import type { TLSSocket } from "node:tls";
 * declare const socket: TLSSocket, serve: (conn: Deno.TcpConn) => void;
 * const relay = new DecryptedRelay<{ name: string }>({ logger: silentLogger, serve });
 * await relay.relay(socket, { name: "a.example" });
 * relay.close();
 * ```
 */
export class DecryptedRelay<Origin> {
  readonly #options: DecryptedRelayOptions;
  readonly #origins = new Map<number, Origin>();
  /** By negotiated protocol, bound on first use. */
  readonly #plain = new Map<DecryptedAlpn, Deno.TcpListener>();
  #closed = false;

  constructor(options: DecryptedRelayOptions) {
    this.#options = options;
  }

  /** The origin of a decrypted connection, by its remote (relay) port. */
  originOf(relayPort: number): Origin | undefined {
    return this.#origins.get(relayPort);
  }

  /** Closes the plain listeners; relays running keep running. */
  close(): void {
    this.#closed = true;
    for (const listener of this.#plain.values()) closeQuietly(listener);
    this.#plain.clear();
  }

  /** Relays `socket`'s decrypted stream until either side ends; never rejects. */
  async relay(socket: TLSSocket, origin: Origin): Promise<void> {
    let inner: Deno.TcpConn | undefined;
    let relayPort = -1;
    try {
      const alpn: DecryptedAlpn = socket.alpnProtocol === "h2" ? "h2" : "http/1.1";
      inner = await Deno.connect({ hostname: "127.0.0.1", port: this.#plainPort(alpn) });
      inner.setNoDelay(true);
      relayPort = (inner.localAddr as Deno.NetAddr).port;
      this.#origins.set(relayPort, origin);
      const inbound = toConn(socket, inner);
      // Once the client's socket is closed nothing more reaches it: the
      // engine may still hold its side open (a kept-alive connection after
      // the client's half-close), and the relay, the port's shutdown with
      // it, would wait for the engine forever.
      const engine = inner;
      socket.once("close", () => closeQuietly(engine));
      await toSocket(inner, socket);
      // The engine is done and the TLS stream ended: a client that never
      // closes its side must not hold the socket (and its place) forever.
      const grace = setTimeout(() => socket.destroy(), this.#options.closeGraceMs ?? 5_000);
      try {
        await inbound;
      } finally {
        clearTimeout(grace);
      }
    } catch (error) {
      this.#options.logger.debug("Decrypted relay ended with an error", {
        error: (error as Error).message,
      });
    } finally {
      this.#origins.delete(relayPort);
      socket.destroy();
      closeQuietly(inner);
    }
  }

  #plainPort(alpn: DecryptedAlpn): number {
    let listener = this.#plain.get(alpn);
    if (listener === undefined) {
      if (this.#closed) throw new Error("Cannot relay a decrypted connection: the port is closing");
      listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      this.#plain.set(alpn, listener);
      void this.#acceptPlain(listener, alpn);
    }
    return (listener.addr as Deno.NetAddr).port;
  }

  async #acceptPlain(listener: Deno.TcpListener, alpn: DecryptedAlpn): Promise<void> {
    while (true) {
      let conn: Deno.TcpConn;
      try {
        conn = await listener.accept();
      } catch (error) {
        if (this.#closed || error instanceof Deno.errors.BadResource) return;
        this.#options.logger.warn("Cannot accept a decrypted connection", {
          error: (error as Error).message,
        });
        await new Promise((resolve) => setTimeout(resolve, 50));
        continue;
      }
      // Our servers write an answer in pieces (HTTP/2 frames as they come):
      // with Nagle's algorithm on, each later piece would wait for the
      // relay's delayed ACK, about 40 ms.
      conn.setNoDelay(true);
      this.#options.serve(conn, alpn);
    }
  }
}
