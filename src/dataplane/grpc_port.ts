/**
 * Which connections of a cleartext port go to the gateway's own HTTP/2
 * server (`h2/h2_server.ts`, which sends trailers) instead of Deno's engine:
 *
 * - a port whose routes are all GRPCRoutes (`only`): every connection.
 *   gRPC clients open h2c with prior knowledge, so the first bytes are read
 *   to tell the HTTP/2 preface from anything else, and a connection that is
 *   not HTTP/2 gets a short HTTP/1.1 answer saying the port speaks gRPC;
 * - a port with GRPCRoutes and other routes (`mixed`): a connection that
 *   opens with the preface is served by our server (HTTPRoutes too, through
 *   the same handler); anything else goes to the port's HTTP/1.1 engine
 *   with the bytes already read: Deno's, through a relay on loopback
 *   (`mixed_port_relay.ts`), or our own (`own_h1_engine.ts`);
 * - other ports (`none`): Deno's engine, untouched.
 * @module
 */
import type { GatewayConfig, PortConfig } from "../model/config.ts";
import { socketKey } from "../model/config.ts";
import { PREFACE as H2_PREFACE } from "./h2/h2_frames.ts";
import { serveH2, type ServeH2Options } from "./h2/h2_server.ts";
import { ErrorCode } from "./h2/h2_frames.ts";
import type { Logger } from "../log/logger.ts";
import {
  CLIENT_EVENT_REASONS,
  type ClientEventReasons,
  type DataPlaneObserver,
} from "./observer.ts";
import type { ConnectionHandler, ServedConnection } from "./serve_connection.ts";
import type { FieldsHandler } from "./field_headers.ts";

/** Whether `bytes` could be the start of the HTTP/2 preface (or all of it, and more). */
export function startsLikeH2(bytes: Uint8Array): boolean {
  const n = Math.min(bytes.length, H2_PREFACE.length);
  for (let i = 0; i < n; i++) if (bytes[i] !== H2_PREFACE[i]) return false;
  return true;
}

/** A port's GRPCRoutes: all its routes (`only`), some (`mixed`), or none. */
export type GrpcPortKind = "only" | "mixed" | "none";

const byConfig = new WeakMap<GatewayConfig, Map<string, GrpcPortKind>>();

/** Which of {@linkcode GrpcPortKind} the port's matches make it. */
export function grpcPortKind(port: PortConfig): GrpcPortKind {
  let grpc = 0;
  let other = 0;
  for (const listener of port.listeners) {
    for (const host of listener.virtualHosts) {
      for (const match of host.matches) {
        if (match.rule.startsWith("grpcroute/")) grpc++;
        else other++;
      }
    }
  }
  return grpc === 0 ? "none" : other === 0 ? "only" : "mixed";
}

/** Whether every match on the port belongs to a GRPCRoute (and there is one). */
export function isGrpcOnlyPort(port: PortConfig): boolean {
  return grpcPortKind(port) === "only";
}

/** {@linkcode grpcPortKind} for a socket of `config`, computed once per config. */
export function grpcSocketKind(
  config: GatewayConfig,
  socket: { address?: string; port: number },
): GrpcPortKind {
  let cache = byConfig.get(config);
  if (cache === undefined) {
    cache = new Map();
    for (const p of config.ports) cache.set(socketKey(p), grpcPortKind(p));
    byConfig.set(config, cache);
  }
  return cache.get(socketKey(socket)) ?? "none";
}

const NOT_H2 = new TextEncoder().encode(
  "HTTP/1.1 505 HTTP Version Not Supported\r\ncontent-type: text/plain; charset=utf-8\r\n" +
    "connection: close\r\ncontent-length: 59\r\n\r\n" +
    "This port serves gRPC only: use HTTP/2 with prior knowledge\n",
);

/**
 * How a port server serves one connection instead of Deno's engine, or
 * `undefined`; `fields`: the port's fast path, for the own HTTP/1.1 server.
 */
export type ConnectionOverride = (
  conn: Deno.Conn,
  handler: ConnectionHandler,
  onError: (error: unknown) => Response | Promise<Response>,
  fields?: FieldsHandler,
) => ServedConnection | undefined;

/** Where our HTTP/2 server reports a connection that ends with an error. */
export type H2Reporting = Pick<ServeH2Options, "logger" | "onConnectionError">;

const CODE_NAMES = new Map<number, string>(
  Object.entries(ErrorCode).map(([name, code]) => [code, name.toLowerCase()]),
);

/**
 * The port's logger for our HTTP/2 server's debug lines, and its observer
 * counting connection errors by code (`serval_http2_connection_errors_total`).
 */
export function h2Reporting(logger: Logger, observer?: DataPlaneObserver): H2Reporting {
  const known = new Set<string>(CLIENT_EVENT_REASONS.h2_connection_error);
  return {
    logger,
    onConnectionError: (code) => {
      const name = CODE_NAMES.get(code);
      if (name !== undefined && known.has(name)) {
        observer?.onClientEvent(
          "h2_connection_error",
          name as ClientEventReasons["h2_connection_error"],
        );
      }
    },
  };
}

/** Serves a connection that is not HTTP/2 with an HTTP/1.1 engine, given the bytes already read. */
export type EngineRelay = (
  conn: Deno.Conn,
  first: Uint8Array,
  handler: ConnectionHandler,
  fields?: FieldsHandler,
) => ServedConnection;

/**
 * The override of a cleartext port: our HTTP/2 server for HTTP/2
 * connections while the port has GRPCRoutes (`kind()`); on a mixed port the
 * other connections go to `relay`, on a gRPC-only one they are refused.
 */
export function grpcConnectionOverride(
  kind: () => GrpcPortKind,
  relay?: EngineRelay,
  reporting: H2Reporting = {},
): ConnectionOverride {
  return (conn, handler, onError, fields) => {
    const now = kind();
    if (now === "none" || (now === "mixed" && relay === undefined)) return undefined;
    return sniffed(conn, (first) => {
      if (first !== undefined && first.length >= H2_PREFACE.length && startsLikeH2(first)) {
        return serveH2(conn, first, { handler, fields, onError, scheme: "http", ...reporting });
      }
      if (now === "mixed" && first !== undefined) return relay!(conn, first, handler, fields);
      return refuse(conn, first);
    });
  };
}

async function refuse(conn: Deno.Conn, first: Uint8Array | undefined): Promise<undefined> {
  try {
    if (first !== undefined && first.length > 0) await conn.write(NOT_H2);
  } catch {
    // The client is gone.
  }
  // The caller closes the connection.
  return undefined;
}

/** Reads until the preface is complete or cannot be, then hands over. */
function sniffed(
  conn: Deno.Conn,
  next: (first: Uint8Array | undefined) => ServedConnection | Promise<undefined>,
): ServedConnection {
  return deferredConnection(conn, async () => {
    let first = new Uint8Array(0);
    const buffer = new Uint8Array(4096);
    try {
      while (first.length < H2_PREFACE.length && startsLikeH2(first)) {
        const n = await conn.read(buffer);
        if (n === null) break;
        const grown = new Uint8Array(first.length + n);
        grown.set(first);
        grown.set(buffer.subarray(0, n), first.length);
        first = grown;
      }
    } catch {
      // Reset before it said anything.
    }
    return await next(first.length > 0 ? first : undefined);
  });
}

/**
 * A connection whose server `start` chooses once it has looked at it (its
 * first bytes, its TLS handshake); `undefined` from `start`: the connection
 * is closed. Closing or shutting it down before then closes the socket.
 *
 * @example
 * ```ts
 * import { deferredConnection } from "./grpc_port.ts";
 * import { serveConnection } from "./serve_connection.ts";
 * declare const conn: Deno.TlsConn;
 * const served = deferredConnection(conn, async () => {
 *   await conn.handshake();
 *   return serveConnection(conn, () => new Response("ok"), () => new Response("", { status: 500 }));
 * });
 * await served.finished;
 * ```
 */
export function deferredConnection(
  conn: Deno.Conn,
  start: () => Promise<ServedConnection | undefined>,
): ServedConnection {
  let inner: ServedConnection | undefined;
  let closed = false;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => done = resolve);
  const finish = () => {
    closed = true;
    done();
  };
  const closeSocket = () => {
    try {
      conn.close();
    } catch {
      // Already closed.
    }
  };
  void start().catch(() => undefined).then((served) => {
    if (closed) return served?.close();
    inner = served;
    if (inner === undefined) {
      closeSocket();
      finish();
    } else void inner.finished.then(finish);
  });
  return {
    finished,
    get closed() {
      return closed;
    },
    shutdown() {
      if (inner !== undefined) return inner.shutdown();
      this.close();
      return finished;
    },
    close() {
      if (inner !== undefined) return inner.close();
      if (closed) return;
      closeSocket();
      finish();
    },
  };
}
