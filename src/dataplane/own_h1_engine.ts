/**
 * The gateway's own HTTP/1.1 server (`h1/`, `--http1-engine own`) as the
 * ports plug it in: as a port's engine (every connection it accepts), as
 * the engine behind a diversion's loopback listener (connections relayed
 * for upgrades, `upgrade_diversion.ts`), and as the HTTP/1.1 side of a
 * cleartext port that mixes GRPCRoutes with other routes, which has read
 * the first bytes already to tell HTTP/2 from HTTP/1.1 and hands them over
 * (`prefixed_conn.ts`) instead of relaying the connection to an engine on
 * loopback as Deno's engine needs.
 *
 * @example
 * ```ts
 * import { ownH1Engine } from "./own_h1_engine.ts";
 * import { serveConnections } from "./connection_server.ts";
 * import { silentLogger } from "../log/logger.ts";
 * const server = serveConnections({
 *   listener: Deno.listen({ port: 0 }),
 *   handler: () => new Response("ok"),
 *   onError: () => new Response("", { status: 500 }),
 *   logger: silentLogger,
 *   engine: ownH1Engine("http"),
 * });
 * await server.shutdown();
 * ```
 * @module
 */
import type { ConnectionServerOptions } from "./connection_server.ts";
import type { FieldsHandler } from "./field_headers.ts";
import type { EngineRelay, H2Reporting } from "./grpc_port.ts";
import { serveH1 } from "./h1/h1_connection.ts";
import { serveH2 } from "./h2/h2_server.ts";
import { prefixedConn } from "./prefixed_conn.ts";
import type { ServedConnection } from "./serve_connection.ts";

/** A connection server's `engine`. */
export type Engine = NonNullable<ConnectionServerOptions["engine"]>;

/**
 * The own HTTP/1.1 server as an `engine`; with `h2`, a connection opening
 * with the HTTP/2 preface goes to our HTTP/2 server (h2c by prior knowledge),
 * reporting its errors there; without, it is refused.
 */
export function ownH1Engine(scheme: "http" | "https", h2?: H2Reporting): Engine {
  return (conn, handler, onError, fields) =>
    serveH1(conn, {
      handler,
      fields,
      onError,
      scheme,
      ...(h2 === undefined
        ? {}
        : { h2: (c, first) => serveH2(c, first, { handler, fields, onError, scheme, ...h2 }) }),
    });
}

/**
 * The HTTP/1.1 side of a mixed cleartext port: the own server, given the
 * bytes already read (none of them the HTTP/2 preface). `fields` is the
 * port's fast path, as the connection server wraps it.
 */
export function ownH1Relay(
  onError: (error: unknown) => Response | Promise<Response>,
): EngineRelay {
  return (conn, first, handler, fields?: FieldsHandler): ServedConnection =>
    serveH1(prefixedConn(conn, first), { handler, fields, onError, scheme: "http" });
}
