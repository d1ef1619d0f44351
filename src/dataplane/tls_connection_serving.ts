/**
 * How an HTTPS port serves one accepted connection, whichever socket
 * terminated its TLS (Deno's listener, a `node:tls` server, a decrypted
 * relay): the connection's gate (`tls_request_gate.ts`: its listener, 421s,
 * the client's address) in front of the handler and its fast path, the
 * upgrade diversion when the port passes upgrades, the engine by ALPN
 * (`grpc_tls.ts`), and the set of live connections the port's shutdown
 * waits for.
 * @module
 */
import type { Logger } from "../log/logger.ts";
import type { FieldsHandler } from "./field_headers.ts";
import { serveHttpsConnection } from "./grpc_tls.ts";
import { routedHostnames } from "./sni_misdirected.ts";
import type { DecryptedAlpn } from "./tls_decrypted_relay.ts";
import type { FrontDoorOrigin } from "./tls_front_door.ts";
import type { TlsPortServerOptions } from "./tls_port_types.ts";
import { type TlsRequestGate, tlsRequestGate } from "./tls_request_gate.ts";
import type { TlsConnectionHandler } from "./tls_server.ts";
import { ResponseClass } from "./web_classes.ts";
import {
  type ServeWithEngine,
  type TlsPortUpgrades,
  tlsPortUpgrades,
  type TrackedConnection,
} from "./upgrade_tls.ts";

/** What the port knows about one connection it hands over. */
export interface ServedConnectionFacts {
  /** The listener a server name selects, by id. */
  listenerOf: (serverName: string) => string | undefined;
  /** The connection passed client-certificate validation (decrypted elsewhere). */
  authenticated: boolean;
  /** The connection's origin, by its remote port (read at its first request). */
  origin: (remotePort: number) => FrontDoorOrigin | undefined;
  /** Already decrypted: the protocol its handshake negotiated. */
  alpn?: DecryptedAlpn;
  /**
   * How the upgrade diversion may take it: `tls` (a TLS connection of
   * Deno's listener), `decrypted` (an HTTP/1.1 byte stream), or not at all.
   */
  divert?: "tls" | "decrypted";
  /** The port counted it against the connection budget: release it at the end. */
  releaseBudget: boolean;
}

/**
 * The connections of one HTTPS port.
 *
 * @example
 * ```ts
 * import { TlsConnections } from "./tls_connection_serving.ts";
 * import type { TlsPortServerOptions } from "./tls_port_types.ts";
 * import { silentLogger } from "../log/logger.ts";
 * declare const options: TlsPortServerOptions, conn: Deno.TlsConn;
 * const connections = new TlsConnections(options, silentLogger, () => 443);
 * connections.serve(conn, {
 *   listenerOf: () => undefined,
 *   authenticated: false,
 *   origin: () => undefined,
 *   divert: "tls",
 *   releaseBudget: true,
 * });
 * await connections.shutdown();
 * ```
 */
export class TlsConnections {
  /** Open client connections. */
  readonly live = new Set<TrackedConnection>();
  readonly #options: TlsPortServerOptions;
  readonly #log: Logger;
  readonly #port: () => number;
  /** Passes HTTP/1.1 upgrades through (`wss://`), when the gateway does. */
  readonly #upgrades: TlsPortUpgrades | undefined;

  constructor(options: TlsPortServerOptions, log: Logger, port: () => number) {
    this.#options = options;
    this.#log = log;
    this.#port = port;
    this.#upgrades = tlsPortUpgrades(options, log, this.onError, this.#serveWithEngine);
  }

  readonly onError = (error: unknown): Response => {
    this.#log.error("HTTPS request failed inside the server", { error: describe(error) });
    return new Response("Internal Server Error\n", { status: 500 });
  };

  /** Serves `conn` until it closes. */
  serve(conn: Deno.Conn, facts: ServedConnectionFacts): void {
    const gate = this.#requestGate(facts);
    const handler = this.#gatedHandler(gate);
    const fields = this.#gatedFields(gate);
    let diverted: TrackedConnection | undefined;
    if (facts.divert === "tls") {
      diverted = this.#upgrades?.divert(conn as Deno.TlsConn, handler, fields);
    } else if (facts.divert === "decrypted") {
      diverted = this.#upgrades?.divertDecrypted(conn, handler, conn.remoteAddr as Deno.NetAddr);
    }
    const entry = diverted ?? this.#serveHttps(conn, handler, facts.alpn, fields);
    entry.finished = entry.finished.then(() => {
      this.live.delete(entry);
      if (facts.releaseBudget) this.#options.budget?.release();
    });
    this.live.add(entry);
  }

  /** Lets in-flight requests finish and closes every connection, tunnels included. */
  async shutdown(): Promise<void> {
    const open = [...this.live];
    const upgrades = this.#upgrades?.shutdown();
    await Promise.all(open.map(async (connection) => {
      await connection.shutdown().catch(() => {});
      await connection.finished;
    }));
    await upgrades;
  }

  /** The port's servers take `conn` by its ALPN (`grpc_tls.ts`). */
  readonly #serveWithEngine: ServeWithEngine = (conn, handler, fields) =>
    this.#serveHttps(conn, handler, undefined, fields);

  #serveHttps(
    conn: Deno.Conn,
    handler: TlsConnectionHandler,
    alpn?: DecryptedAlpn,
    fields?: FieldsHandler,
  ) {
    return serveHttpsConnection(conn, handler, {
      fields,
      watcher: this.#options.watcher,
      onError: this.onError,
      grpcKind: this.#options.grpcKind,
      observer: this.#options.observer,
      http1Engine: this.#options.http1Engine,
      logger: this.#log,
      alpn,
    });
  }

  /**
   * The handler of one connection behind its gate (`tls_request_gate.ts`),
   * which learns the connection's listener (from its SNI, or from its first
   * request) and answers 421 to a request that listener does not serve.
   */
  #gatedHandler(gate: TlsRequestGate): TlsConnectionHandler {
    const handler = this.#options.handler;
    const hostOf = routedHostnames();
    return (request, info) => {
      const verdict = gate(hostOf(request), info);
      return verdict instanceof ResponseClass ? verdict : handler(request, verdict);
    };
  }

  /**
   * The fast path behind the same gate. A request it declines is gated again
   * on the `Request` path, with the same answer (the gate allows that).
   */
  #gatedFields(gate: TlsRequestGate): FieldsHandler | undefined {
    const fields = this.#options.fields;
    if (fields === undefined) return undefined;
    const hostOf = routedHostnames();
    return (request, info) => {
      const verdict = gate(hostOf(request), info);
      return verdict instanceof ResponseClass ? verdict : fields(request, verdict);
    };
  }

  #requestGate(facts: ServedConnectionFacts): TlsRequestGate {
    return tlsRequestGate({
      port: this.#port(),
      address: this.#options.address,
      getTable: this.#options.getTable,
      authenticated: facts.authenticated,
      origin: facts.origin,
      listenerOf: facts.listenerOf,
    });
  }
}

/** An error's name and message, never its other properties (which could hold PEM). */
export function describe(error: unknown): { name: string; message: string } {
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: "Error", message: String(error) };
}
