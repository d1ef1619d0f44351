/**
 * How an HTTPS port serves one TLS connection, by the protocol its handshake
 * negotiated (ALPN), so every port completes the handshake first (the client
 * timeouts bound it: the connection is watched from the start). With
 * `--http1-engine own` (the default): `http/1.1` (or none) goes to our
 * HTTP/1.1 server (`h1/`), `h2` to our HTTP/2 server (`h2/h2_server.ts`),
 * both with the port's fast path; our HTTP/2 server sends response
 * trailers, and with the fast path (`h2/h2_fast.ts`) costs less CPU per
 * request than Deno's engine. With `--http1-engine deno`: Deno's HTTP
 * engine, except `h2` on a port with GRPCRoutes, which goes to our HTTP/2
 * server, since Deno's engine cannot send the response trailers gRPC's
 * status travels in (a port without GRPCRoutes is handed to the engine
 * without waiting for its handshake). A connection decrypted elsewhere
 * (client-certificate listeners, `tls_client_auth.ts`) arrives as plain TCP
 * with its negotiated protocol already known, and is dispatched the same way
 * without a handshake to wait for.
 * @module
 */
import type { Logger } from "../log/logger.ts";
import type { ConnectionWatcher, Http1Engine } from "./client_timeouts.ts";
import { serveH1 } from "./h1/h1_connection.ts";
import { watchFields, watchRequests } from "./connection_server.ts";
import type { FieldsHandler } from "./field_headers.ts";
import { deferredConnection, type GrpcPortKind, h2Reporting } from "./grpc_port.ts";
import type { DataPlaneObserver } from "./observer.ts";
import { serveH2 } from "./h2/h2_server.ts";
import {
  type ConnectionHandler,
  serveConnection,
  type ServedConnection,
} from "./serve_connection.ts";

/** What {@linkcode serveHttpsConnection} needs from its port. */
export interface HttpsConnectionOptions {
  watcher?: ConnectionWatcher;
  onError: (error: unknown) => Response;
  /** Whether the port has GRPCRoutes now (read with `--http1-engine deno`); absent: never. */
  grpcKind?: () => GrpcPortKind;
  logger: Logger;
  /** Counts our HTTP/2 server's connection errors; absent: not counted. */
  observer?: DataPlaneObserver;
  /** For a connection already decrypted: the protocol its handshake negotiated by ALPN. */
  alpn?: string;
  /** `deno`: HTTP/1.1 connections go to Deno's engine; `own` or absent: our HTTP/1.1 server (`h1/`). */
  http1Engine?: Http1Engine;
  /** The handler's fast path, for our HTTP/1.1 server; absent: every request takes `handler`. */
  fields?: FieldsHandler;
}

/** A served HTTPS connection, as the port tracks it. */
export interface HttpsConnection {
  shutdown(): Promise<void>;
  finished: Promise<void>;
}

/**
 * Serves `conn` (TLS, handshake possibly pending) by the protocol the client
 * chose: see the module's note for which server takes which.
 *
 * @example
 * ```ts
 * import { serveHttpsConnection } from "./grpc_tls.ts";
 * import { silentLogger } from "../log/logger.ts";
 * declare const conn: Deno.TlsConn;
 * const served = serveHttpsConnection(conn, () => new Response("ok"), {
 *   onError: () => new Response("", { status: 500 }),
 *   grpcKind: () => "mixed",
 *   logger: silentLogger,
 * });
 * await served.finished;
 * ```
 */
export function serveHttpsConnection(
  conn: Deno.Conn,
  handler: ConnectionHandler,
  options: HttpsConnectionOptions,
): HttpsConnection {
  // Dropping only ever happens on a later sweep, once `served` exists.
  const watched = options.watcher?.watch(() => served.close());
  const timed = watched === undefined ? handler : watchRequests(handler, watched);
  const engine = () =>
    serveConnection(conn, timed, options.onError, (error) => {
      // Handshake failures (unknown name, client rejecting the certificate)
      // and resets land here; they are the client's business.
      options.logger.debug("TLS connection ended with an error", { error: describe(error) });
    });
  const fast = options.fields;
  const fields = fast === undefined || watched === undefined ? fast : watchFields(fast, watched);
  const ours = () =>
    serveH2(conn, new Uint8Array(0), {
      handler: timed,
      fields,
      onError: options.onError,
      scheme: "https",
      ...h2Reporting(options.logger, options.observer),
    });
  const tls = "handshake" in conn ? conn as Deno.TlsConn : undefined;
  let served: ServedConnection;
  const grpc = options.http1Engine === "deno" && (options.grpcKind?.() ?? "none") !== "none";
  if (options.http1Engine !== "deno") {
    const h1 = () =>
      serveH1(conn, { handler: timed, fields, onError: options.onError, scheme: "https" });
    served = byAlpn(conn, tls, options, (alpn) => alpn === "h2" ? ours() : h1());
  } else if (!grpc) served = engine();
  else if (options.alpn !== undefined) served = options.alpn === "h2" ? ours() : engine();
  else if (tls === undefined) served = engine();
  else {
    served = deferredConnection(conn, async () => {
      let alpn: string | null;
      try {
        alpn = (await tls.handshake()).alpnProtocol;
      } catch (error) {
        options.logger.debug("TLS connection ended with an error", { error: describe(error) });
        return undefined;
      }
      return alpn === "h2" ? ours() : engine();
    });
  }
  return {
    shutdown: () => served.shutdown(),
    finished: served.finished.then(() => watched?.end()),
  };
}

/**
 * `serve` once the protocol the client chose is known: at once for a
 * connection decrypted elsewhere (or not TLS), after the handshake otherwise.
 */
function byAlpn(
  conn: Deno.Conn,
  tls: Deno.TlsConn | undefined,
  options: HttpsConnectionOptions,
  serve: (alpn: string | null | undefined) => ServedConnection,
): ServedConnection {
  if (options.alpn !== undefined || tls === undefined) return serve(options.alpn);
  return deferredConnection(conn, async () => {
    try {
      return serve((await tls.handshake()).alpnProtocol);
    } catch (error) {
      options.logger.debug("TLS connection ended with an error", { error: describe(error) });
      return undefined;
    }
  });
}

/** An error's name and message, never its other properties (which could hold PEM). */
function describe(error: unknown): { name: string; message: string } {
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: "Error", message: String(error) };
}
