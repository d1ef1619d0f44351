/**
 * The one module that hands an accepted connection to Deno's HTTP engine
 * (pinned: Deno 2.9.6). `Deno.serve` owns its accept loop: it cannot limit
 * connections, has no client timeouts (denoland/deno#3515), and an accept
 * error such as `EMFILE` escapes it as an uncaught rejection that ends the
 * process. So the gateway accepts in JavaScript (`connection_server.ts`) and
 * serves each connection with the internal entry point `Deno.serve` itself
 * is built on:
 *
 * `Deno[Deno.internal].serveHttpOnConnection(conn, signal, handler, onError, onListen)`
 * serves one TCP or TLS connection with the same HTTP/1.1 + HTTP/2 engine.
 * Aborting `signal` cancels the connection at once (not gracefully): that is
 * how a timed-out client is dropped. Deno's abort listener throws on a
 * connection that already finished, so {@linkcode ServedConnection.close}
 * only aborts a live one.
 *
 * {@linkcode assertServeInternals} checks the shape at startup and fails
 * loudly on a Deno whose internals changed.
 * @module
 */

/** What the engine calls per request. */
export type ConnectionHandler = (
  request: Request,
  info: Deno.ServeHandlerInfo<Deno.NetAddr>,
) => Response | Promise<Response>;

/** The Deno version whose internals this module was written against. */
export const PINNED_SERVE_DENO_VERSION = "2.9.6";

/** The served-connection object of Deno 2.9.6. */
interface InternalServed {
  finished: Promise<void>;
  shutdown(): Promise<void>;
}

type ServeHttpOnConnection = (
  conn: Deno.Conn,
  signal: AbortSignal,
  handler: ConnectionHandler,
  onError: (error: unknown) => Response | Promise<Response>,
  onListen: (scheme: string) => void,
) => InternalServed;

function internalServe(): ServeHttpOnConnection | undefined {
  const key = (Deno as unknown as { internal?: symbol }).internal;
  if (typeof key !== "symbol") return undefined;
  const found = (Deno as unknown as Record<symbol, Record<string, unknown> | undefined>)[key];
  const serve = found?.serveHttpOnConnection;
  return typeof serve === "function" ? serve as ServeHttpOnConnection : undefined;
}

/**
 * Throws an `Error` naming what changed when `serveHttpOnConnection` is
 * missing or has another shape than in Deno 2.9.6.
 *
 * @example
 * ```ts
 * import { assertServeInternals } from "./serve_connection.ts";
 * assertServeInternals(); // throws on an incompatible Deno
 * ```
 */
export function assertServeInternals(): void {
  const key = (Deno as unknown as { internal?: symbol }).internal;
  let problem: string | undefined;
  if (typeof key !== "symbol") problem = "Deno.internal is missing";
  else {
    const serve = internalServe();
    if (serve === undefined) {
      problem = "Deno[Deno.internal].serveHttpOnConnection is not a function";
    } else if (serve.length !== 5) {
      problem = `Deno[Deno.internal].serveHttpOnConnection takes ${serve.length} parameters, not 5`;
    }
  }
  if (problem !== undefined) {
    throw new Error(
      `Cannot serve accepted connections: Deno ${Deno.version.deno} lacks the internals of Deno ` +
        `${PINNED_SERVE_DENO_VERSION} (${problem})`,
    );
  }
}

/** One connection being served. */
export interface ServedConnection {
  /** Settles (never rejects) once the connection is closed. */
  readonly finished: Promise<void>;
  /** True once `finished` settled. */
  readonly closed: boolean;
  /** Graceful: in-flight requests finish, then the connection closes. */
  shutdown(): Promise<void>;
  /** Immediate: drops the connection, whatever it was doing. A no-op once closed. */
  close(): void;
}

/**
 * Serves one accepted connection with Deno's HTTP/1.1 + HTTP/2 engine.
 * `onEnd` receives the error a connection ended with (a failed handshake, a
 * reset), if any; the connection is the client's business then.
 *
 * @example
 * ```ts
 * import { serveConnection } from "./serve_connection.ts";
 * declare const listener: Deno.Listener;
 * const conn = await listener.accept();
 * const served = serveConnection(
 *   conn,
 *   () => new Response("ok"),
 *   () => new Response("", { status: 500 }),
 * );
 * await served.finished;
 * ```
 */
export function serveConnection(
  conn: Deno.Conn,
  handler: ConnectionHandler,
  onError: (error: unknown) => Response | Promise<Response>,
  onEnd?: (error: unknown) => void,
): ServedConnection {
  const serve = internalServe();
  if (serve === undefined) assertServeInternals();
  // One controller per connection: Deno adds an abort listener to the signal
  // per connection and never removes it, so a shared signal would leak.
  const controller = new AbortController();
  const served = serve!(conn, controller.signal, handler, onError, () => {});
  let closed = false;
  const finished = served.finished.then(
    () => {
      closed = true;
    },
    (error) => {
      closed = true;
      onEnd?.(error);
    },
  );
  return {
    finished,
    get closed() {
      return closed;
    },
    shutdown: () => closed ? Promise.resolve() : served.shutdown().catch(() => {}),
    close() {
      if (!closed && !controller.signal.aborted) controller.abort();
    },
  };
}
