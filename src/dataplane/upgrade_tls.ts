/**
 * HTTPS connections of a port that passes upgrades (`wss://`): the TLS
 * handshake completes first (bounded by the header timeout), then ALPN
 * decides. An `h2` connection is served by the engine as on any HTTPS port
 * (HTTP/2 has no `Upgrade`); an HTTP/1.1 one (or one without ALPN) is
 * decrypted by Deno's TLS stack and diverted like a plain connection
 * (`upgrade_diversion.ts`), with the TLS port's own per-connection handler
 * (its SNI binding, 421 decisions and client address).
 * @module
 */
import type { Logger } from "../log/logger.ts";
import type { ConnectionHandler } from "./serve_connection.ts";
import type { FieldsHandler } from "./field_headers.ts";
import { closeQuietly } from "./tcp_relay.ts";
import type { TlsPortServerOptions } from "./tls_port_types.ts";
import { UpgradeDiversion } from "./upgrade_diversion.ts";
import { ownH1Engine } from "./own_h1_engine.ts";

/** A connection the TLS port keeps track of until it closes. */
export interface TrackedConnection {
  /** Graceful: in-flight requests finish, then the connection closes. */
  shutdown(): Promise<void>;
  /** Settles (never rejects) once the connection is closed. */
  finished: Promise<void>;
}

/**
 * Serves a connection with the engine, as an HTTPS port does without
 * upgrades; `fields`: the port's fast path for it.
 */
export type ServeWithEngine = (
  conn: Deno.Conn,
  handler: ConnectionHandler,
  fields?: FieldsHandler,
) => TrackedConnection;

/** What {@linkcode divertTlsConnection} needs from its port. */
export interface TlsDiversionContext {
  diversion: UpgradeDiversion;
  /** Time the handshake has; the diversion then gives the first head its own. */
  handshakeTimeoutMs: number;
  /** Serves a connection with the engine (one that chose h2). */
  serveWithEngine: ServeWithEngine;
  logger: Logger;
}

/**
 * Serves one accepted TLS connection of a diverting HTTPS port.
 *
 * @example
 * ```ts
 * import { divertTlsConnection, type TlsDiversionContext } from "./upgrade_tls.ts";
 * declare const conn: Deno.TlsConn, ctx: TlsDiversionContext;
 * const tracked = divertTlsConnection(conn, () => new Response("ok"), ctx);
 * await tracked.finished;
 * ```
 */
export function divertTlsConnection(
  conn: Deno.TlsConn,
  handler: ConnectionHandler,
  ctx: TlsDiversionContext,
  fields?: FieldsHandler,
): TrackedConnection {
  let engine: TrackedConnection | undefined;
  const finished = (async () => {
    const timer = setTimeout(() => closeQuietly(conn), ctx.handshakeTimeoutMs);
    let alpn: string | null;
    try {
      alpn = (await conn.handshake()).alpnProtocol;
    } catch (error) {
      // Unknown names, clients refusing the certificate, resets: the client's business.
      ctx.logger.debug("TLS connection ended with an error", {
        error: (error as Error)?.message ?? String(error),
      });
      closeQuietly(conn);
      return;
    } finally {
      clearTimeout(timer);
    }
    if (alpn === "h2") {
      engine = ctx.serveWithEngine(conn, handler, fields);
      return await engine.finished;
    }
    await ctx.diversion.serve(conn, handler, conn.remoteAddr as Deno.NetAddr);
  })();
  // A diverted connection has nothing graceful to finish: its relayed
  // requests end with the engine's shutdown, a tunnel when the process exits.
  return { shutdown: () => engine?.shutdown() ?? Promise.resolve(), finished };
}

/** The upgrade side of one HTTPS port. */
export interface TlsPortUpgrades {
  /**
   * Serves `conn` diverted when the port diverts now (`fields`: the fast
   * path for a connection that chose `h2`); `undefined`: the engine serves it.
   */
  divert(
    conn: Deno.TlsConn,
    handler: ConnectionHandler,
    fields?: FieldsHandler,
  ): TrackedConnection | undefined;
  /**
   * Serves `conn`, an HTTP/1.1 stream already decrypted (a `node:tls`
   * socket), diverted when the port diverts now; `undefined`: the engine serves it.
   */
  divertDecrypted(
    conn: Deno.Conn,
    handler: ConnectionHandler,
    remoteAddr: Deno.NetAddr,
  ): TrackedConnection | undefined;
  /** Stops the diversion's engine and waits for its connections, tunnels included. */
  shutdown(): Promise<void>;
}

/**
 * The upgrade side of the HTTPS port `options` describes; `undefined` when
 * the gateway passes no upgrades.
 *
 * @example
 * ```ts
 * import { tlsPortUpgrades } from "./upgrade_tls.ts";
 * import type { TlsPortServerOptions } from "./tls_port_types.ts";
 * import { silentLogger } from "../log/logger.ts";
 * declare const options: TlsPortServerOptions;
 * const upgrades = tlsPortUpgrades(options, silentLogger, () => new Response("", { status: 500 }), () => {
 *   throw new Error("not in this example");
 * });
 * await upgrades?.shutdown();
 * ```
 */
export function tlsPortUpgrades(
  options: TlsPortServerOptions,
  logger: Logger,
  onError: (error: unknown) => Response,
  serveWithEngine: ServeWithEngine,
): TlsPortUpgrades | undefined {
  const upgrades = options.upgrades;
  if (upgrades === undefined) return undefined;
  const diversion = new UpgradeDiversion({
    upgrades,
    port: options.port,
    address: options.address,
    scheme: "https",
    logger,
    watcher: options.watcher,
    onError,
    ...(options.http1Engine !== "deno" ? { engine: ownH1Engine("https") } : {}),
  });
  const ctx = { diversion, handshakeTimeoutMs: upgrades.headerTimeoutMs, serveWithEngine, logger };
  return {
    divert: (conn, handler, fields) =>
      diversion.wants() ? divertTlsConnection(conn, handler, ctx, fields) : undefined,
    divertDecrypted: (conn, handler, remoteAddr) =>
      diversion.wants()
        ? {
          shutdown: () => Promise.resolve(),
          finished: diversion.serve(conn, handler, remoteAddr),
        }
        : undefined,
    shutdown: () => diversion.shutdown(),
  };
}
