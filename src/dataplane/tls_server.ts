/**
 * The one module that touches Deno's unstable TLS internals (pinned: Deno
 * 2.9.6). `Deno.serve` takes one certificate; SNI needs two internals:
 *
 * - `Deno.listenTls({ [Symbol.for("unstableSniResolver")]: (serverName) => ({ cert, key }) })`
 *   asks for a key pair during each handshake whose server name the listener
 *   has not resolved before. The answer (or the failure) is cached **per
 *   listener and server name, forever**: a listener can never change the
 *   certificate it serves for a name, so certificate rotation means a new
 *   listener (see `tls_port_server.ts`).
 * - `Deno[Deno.internal].serveHttpOnConnection(conn, signal, handler, onError, onListen)`
 *   serves one accepted connection with the same HTTP/1.1 + HTTP/2 engine as
 *   `Deno.serve`. We accept in JavaScript (instead of handing the listener to
 *   `serveHttpOnListener`) because that gives each request its connection
 *   (needed for 421) and lets accepted connections outlive their listener
 *   (needed to rotate certificates without dropping them). Measured here: no
 *   throughput or handshake-rate difference between the two.
 *
 * The server never learns the SNI of a connection from these internals (the
 * handshake info holds only the ALPN protocol and the resolver is not called
 * on cached names), and Deno 2.9.6 cannot start server-side TLS on a
 * connection accepted as plain TCP (`Deno.startTls` is client-only).
 * `node:tls` does report `servername` per connection, but its sockets are not
 * resources `serveHttpOnConnection` can serve. So the SNI is read from the
 * ClientHello in front of the TLS listener (`tls_front_door.ts`).
 *
 * {@linkcode assertTlsInternals} checks the shapes at startup and fails loudly.
 * @module
 */

import type { Logger } from "../log/logger.ts";
import { disableNagle } from "./listener_nodelay.ts";

/** A certificate chain and private key, PEM. */
export interface TlsKeyPair {
  cert: string;
  key: string;
}

/**
 * Returns the key pair for a handshake's server name (`""` when the client
 * sent no SNI), or `undefined` to fail the handshake.
 */
export type TlsKeyPairResolver = (serverName: string) => TlsKeyPair | undefined;

/** What `serveHttpOnConnection` calls per request. */
export type TlsConnectionHandler = (
  request: Request,
  info: Deno.ServeHandlerInfo<Deno.NetAddr>,
) => Response | Promise<Response>;

/** ALPN offered by every HTTPS listener: HTTP/2 first. */
export const TLS_ALPN_PROTOCOLS: readonly string[] = Object.freeze(["h2", "http/1.1"]);

/** The Deno version whose internals this module was written against. */
export const PINNED_DENO_VERSION = "2.9.6";

const SNI_RESOLVER = Symbol.for("unstableSniResolver");

interface DenoTlsInternals {
  serveHttpOnConnection(
    conn: Deno.TlsConn,
    signal: AbortSignal,
    handler: TlsConnectionHandler,
    onError: (error: unknown) => Response | Promise<Response>,
    onListen: (scheme: string) => void,
  ): ServedTlsConnection;
  serverNameSymbol: symbol;
}

function internals(): Partial<DenoTlsInternals> | undefined {
  const key = (Deno as unknown as { internal?: symbol }).internal;
  if (typeof key !== "symbol") return undefined;
  return (Deno as unknown as Record<symbol, Partial<DenoTlsInternals> | undefined>)[key];
}

/**
 * Throws an `Error` naming what changed when the internals this module needs
 * are missing or have another shape than in Deno 2.9.6.
 *
 * @example
 * ```ts
 * import { assertTlsInternals } from "./tls_server.ts";
 * assertTlsInternals(); // throws on an incompatible Deno
 * ```
 */
export function assertTlsInternals(): void {
  const problems: string[] = [];
  const found = internals();
  if (found === undefined) {
    problems.push("Deno[Deno.internal] is missing");
  } else {
    const serve = found.serveHttpOnConnection;
    if (typeof serve !== "function") {
      problems.push("Deno[Deno.internal].serveHttpOnConnection is not a function");
    } else if (serve.length !== 5) {
      problems.push(
        `Deno[Deno.internal].serveHttpOnConnection takes ${serve.length} parameters, not 5`,
      );
    }
    if (typeof found.serverNameSymbol !== "symbol") {
      problems.push("Deno[Deno.internal].serverNameSymbol is not a symbol");
    }
  }
  if (typeof Deno.listenTls !== "function") problems.push("Deno.listenTls is not a function");
  if (problems.length > 0) {
    throw new Error(
      `Cannot serve HTTPS with SNI: Deno ${Deno.version.deno} lacks the internals of Deno ` +
        `${PINNED_DENO_VERSION} (${problems.join("; ")})`,
    );
  }
}

/** Options of {@linkcode listenTlsWithSni}. */
export interface ListenTlsWithSniOptions {
  hostname: string;
  port: number;
  /** Needs `--unstable-net`; see {@linkcode reusePortAvailable}. */
  reusePort: boolean;
  resolve: TlsKeyPairResolver;
  /**
   * The key pair every handshake gets, whatever its server name: the
   * listener takes it as its one certificate and `resolve` is never asked.
   */
  keyPair?: TlsKeyPair;
  /** ALPN protocols offered; default {@linkcode TLS_ALPN_PROTOCOLS} (h2, http/1.1). */
  alpnProtocols?: readonly string[];
  /** Told, once a process, why accepted connections keep Nagle's algorithm (`listener_nodelay.ts`). */
  log?: Logger;
}

let nagleReported = false;

/**
 * Binds a TLS listener that picks its certificate per server name (or, given
 * `keyPair`, serves that one certificate to every handshake).
 *
 * @example
 * ```ts
 * import { listenTlsWithSni } from "./tls_server.ts";
 * declare const cert: string, key: string;
 * const listener = listenTlsWithSni({
 *   hostname: "127.0.0.1",
 *   port: 8443,
 *   reusePort: false,
 *   resolve: (name) => name === "a.example" ? { cert, key } : undefined,
 * });
 * ```
 */
export function listenTlsWithSni(options: ListenTlsWithSniOptions): Deno.TlsListener {
  const resolver = (serverName: string): TlsKeyPair => {
    const pair = options.resolve(serverName);
    // The message reaches Deno's handshake error, never the client; it names
    // the server name only.
    if (pair === undefined) throw new Error(`No certificate for server name "${serverName}"`);
    return pair;
  };
  const listen = (keys: object) =>
    Deno.listenTls(
      {
        hostname: options.hostname,
        port: options.port,
        transport: "tcp",
        alpnProtocols: [...(options.alpnProtocols ?? TLS_ALPN_PROTOCOLS)],
        ...keys,
        ...(options.reusePort ? { reusePort: true } : {}),
      } as unknown as Deno.ListenTlsOptions & Deno.TlsCertifiedKeyPem,
    );
  let listener: Deno.TlsListener | undefined;
  if (options.keyPair !== undefined) {
    try {
      listener = listen({ cert: options.keyPair.cert, key: options.keyPair.key });
    } catch {
      // A pair Deno cannot parse: bind with the resolver, so that (as for any
      // other port) the port is bound and each handshake fails on its own.
    }
  }
  listener ??= listen({ [SNI_RESOLVER]: resolver });
  const nagle = disableNagle(listener.addr as Deno.NetAddr);
  if (!nagle.off && !nagleReported && options.log !== undefined) {
    nagleReported = true;
    options.log.warn(
      "TLS connections keep Nagle's algorithm on: an answer written in pieces can wait ~40 ms " +
        "for the client's delayed ACK",
      { reason: nagle.reason },
    );
  }
  return listener;
}

/** One connection being served. */
export interface ServedTlsConnection {
  /**
   * Settles when the connection is closed; rejects when the handshake or the
   * connection failed (callers must handle that).
   */
  finished: Promise<void>;
  /**
   * Graceful close: in-flight requests finish, then the connection closes.
   * Safe to call after `finished` (aborting the signal then is not: Deno's
   * abort listener throws on the closed resource).
   */
  shutdown(): Promise<void>;
}

/**
 * Serves one accepted TLS connection with Deno's HTTP/1.1 + HTTP/2 engine.
 * Each connection gets its own never-aborted signal: Deno adds a listener to
 * it per connection and never removes it.
 */
export function serveTlsConnection(
  conn: Deno.TlsConn,
  handler: TlsConnectionHandler,
  onError: (error: unknown) => Response | Promise<Response>,
): ServedTlsConnection {
  const serve = internals()?.serveHttpOnConnection;
  if (serve === undefined) assertTlsInternals();
  return serve!(conn, new AbortController().signal, handler, onError, () => {});
}

/**
 * Whether sockets may set `SO_REUSEPORT` (Deno needs `--unstable-net`). With
 * it, a replacement listener binds before the old one closes; without it the
 * port is closed and rebound, and connection attempts in that instant fail.
 *
 * Asking for `reusePort` without the flag makes Deno 2.9 exit the process
 * rather than throw, so the flag is detected through an API that exists only
 * with it (`Deno.listenDatagram`).
 */
export function reusePortAvailable(): boolean {
  return typeof (Deno as unknown as { listenDatagram?: unknown }).listenDatagram === "function";
}

/** Options of {@linkcode connectTlsWithServerName}. */
export interface ConnectTlsWithServerNameOptions {
  hostname: string;
  port: number;
  /** SNI sent and name verified, independent of the address dialed. */
  serverName: string;
  caCerts: string[];
  alpnProtocols?: string[];
}

/**
 * A TLS client connection to an address with a chosen SNI name (tests and
 * benchmarks dial 127.0.0.1 for names that do not resolve).
 */
export function connectTlsWithServerName(
  options: ConnectTlsWithServerNameOptions,
): Promise<Deno.TlsConn> {
  const symbol = internals()?.serverNameSymbol;
  if (symbol === undefined) assertTlsInternals();
  return Deno.connectTls({
    hostname: options.hostname,
    port: options.port,
    caCerts: options.caCerts,
    alpnProtocols: options.alpnProtocols,
    [symbol!]: options.serverName,
  } as Deno.ConnectTlsOptions);
}
