/**
 * An HTTP server that owns its connections: its own accept loop over a
 * `Deno.Listener`, each accepted connection handed to Deno's HTTP engine
 * (`serve_connection.ts`). What `Deno.serve` cannot do, this does:
 *
 * - **limits**: a connection is counted against a per-server limit and a
 *   {@linkcode ConnectionBudget} shared by every data-plane port; past
 *   either, a new connection is accepted and closed at once (the client sees
 *   a clean close instead of a hung connect, and the backlog keeps draining);
 * - **accept errors never escape**: `EMFILE` (no descriptor left) and its
 *   kin are logged (at most every few seconds) and retried with a backoff of
 *   10 ms doubling to 1 s; the process sheds load instead of dying;
 * - **client timeouts** (`client_timeouts.ts`): each connection is watched
 *   and dropped when its head, idle or stream deadline passes.
 * @module
 */
import type { ConnectionOverride } from "./grpc_port.ts";
import { type FastAnswer, type FieldsHandler, PendingAnswer } from "./field_headers.ts";
import type { Logger } from "../log/logger.ts";
import type { ConnectionWatcher, WatchedConnection } from "./client_timeouts.ts";
import { whenCompleted } from "./request_completion.ts";
import {
  type ConnectionHandler,
  serveConnection,
  type ServedConnection,
} from "./serve_connection.ts";
import {
  type ConnectionBudget,
  isOutOfDescriptors,
  shedForDescriptors,
} from "./connection_budget.ts";

export {
  ConnectionBudget,
  isOutOfDescriptors,
  MIN_LEARNED_LIMIT,
  shedForDescriptors,
} from "./connection_budget.ts";

/** Options of {@linkcode serveConnections}. */
export interface ConnectionServerOptions {
  /** A bound listener; the server closes it at shutdown. */
  listener: Deno.Listener;
  handler: ConnectionHandler;
  onError: (error: unknown) => Response | Promise<Response>;
  logger: Logger;
  /** Limit for this server alone; `0` or absent: none. */
  maxConnections?: number;
  /** Shared limit (every data-plane port of the process or worker). */
  budget?: ConnectionBudget;
  /** Drops connections past their deadlines; absent: no client timeouts. */
  watcher?: ConnectionWatcher;
  /**
   * Asked per accepted connection; a connection it serves bypasses Deno's
   * engine (gRPC-only ports, `grpc_port.ts`). Absent: Deno's engine serves all.
   */
  override?: ConnectionOverride;
  /**
   * Takes an accepted connection away from the HTTP engine (a port that
   * passes upgrades through): returns a promise that settles once the
   * connection is closed, or `undefined` to let the engine serve it. A
   * diverted connection counts against the limits until its promise settles;
   * its owner closes it, also at shutdown.
   */
  divert?: (conn: Deno.Conn) => Promise<void> | undefined;
  /**
   * Serves a connection instead of Deno's engine (the gateway's own
   * HTTP/1.1 server, `--http1-engine own`); absent: Deno's engine.
   */
  engine?: (
    conn: Deno.Conn,
    handler: ConnectionHandler,
    onError: (error: unknown) => Response | Promise<Response>,
    fields?: FieldsHandler,
  ) => ServedConnection;
  /** The handler's fast path, for an `engine` that can call it (`h1_connection.ts`). */
  fields?: FieldsHandler;
}

/** A running server. */
export interface ConnectionServer {
  readonly addr: Deno.NetAddr;
  /** Open connections. */
  connections(): number;
  /** Connections closed at once because a limit was reached. */
  rejected(): number;
  /**
   * The process is going away: every HTTP/1 answer from now on carries
   * `Connection: close`, so kept-alive clients move to another replica
   * before the listener closes (HTTP/2 clients get GOAWAY at shutdown).
   */
  drain(): void;
  /**
   * Stops accepting, lets in-flight requests finish, closes idle
   * connections. A connection accepted but still waiting for its first
   * request (which may be on the wire) is served that request, answered
   * with `Connection: close`, unless its header timeout passes first.
   */
  shutdown(): Promise<void>;
}

/** Per connection: whether it brought a request yet, and who waits for the first. */
interface ConnectionState {
  requests: number;
  onFirstRequest?: () => void;
}

/** Marks `response` so the engine closes its connection after it (a no-op when it cannot). */
function closeAfter(response: Response): Response {
  try {
    response.headers.set("connection", "close");
  } catch {
    // Immutable headers: the connection closes at shutdown anyway.
  }
  return response;
}

function setNoDelay(conn: Deno.Conn): void {
  try {
    (conn as Partial<Deno.TcpConn>).setNoDelay?.(true);
  } catch {
    // The client is already gone; serving it fails on its own.
  }
}

/** How long a connection stays open after its 408 went out (nginx lingers up to 5 s). */
export const LINGER_AFTER_408_MS = 1000;

/**
 * Wraps a connection's handler so the watcher sees each request start and
 * end. A request answered 408 (its body stalled) closes its connection
 * {@linkcode LINGER_AFTER_408_MS} after the answer: the rest of that body
 * will not come, and Deno's engine would otherwise keep waiting for it (a
 * graceful shutdown waits too). Only requests that may carry a body pay for
 * the look at the status.
 */
export function watchRequests(
  handler: ConnectionHandler,
  watched: WatchedConnection,
): ConnectionHandler {
  const watch = watchAnswers(watched);
  return (request, info) => watch(request.method, info, handler(request, info));
}

/**
 * {@linkcode watchRequests} for a fast path (`FieldsHandler`): a request it
 * answers is watched the same way; one it declines is not counted (the
 * `Request` path that serves it then is).
 */
export function watchFields(fields: FieldsHandler, watched: WatchedConnection): FieldsHandler {
  const watch = watchAnswers(watched);
  return (request, info) => {
    const result = fields(request, info);
    return result === undefined ? undefined : watch(request.method, info, result);
  };
}

/**
 * What {@linkcode watchRequests} does to each request, for a handler's
 * answer (`Response` or the fast path's); the handler runs first, in the
 * same turn, so a fast path that declines was never counted.
 */
function watchAnswers(watched: WatchedConnection) {
  // One callback per connection, not per request, unless requests need marks.
  const done = () => watched.requestFinished();
  return <R extends FastAnswer | PendingAnswer | Promise<FastAnswer>>(
    method: string,
    info: Deno.ServeHandlerInfo,
    result: R,
  ): R => {
    const mark = watched.requestStarted();
    if (mark === undefined) whenCompleted(info, done);
    else whenCompleted(info, () => watched.requestFinished(mark));
    // A pending answer is only ever a GET's or HEAD's: never a 408 (field_headers.ts).
    if (method === "GET" || method === "HEAD" || result instanceof PendingAnswer) return result;
    return Promise.resolve(result as FastAnswer | Promise<FastAnswer>).then((response) => {
      if (response.status === 408) watched.closeSoon(LINGER_AFTER_408_MS);
      return response;
    }) as R;
  };
}

const MIN_BACKOFF_MS = 10;
const MAX_BACKOFF_MS = 1000;
const LOG_EVERY_MS = 5000;

/**
 * Serves `listener` until `shutdown`.
 *
 * @example
 * ```ts
 * import { ConnectionBudget, serveConnections } from "./connection_server.ts";
 * import { createLogger } from "../log/logger.ts";
 * const server = serveConnections({
 *   listener: Deno.listen({ hostname: "127.0.0.1", port: 8080 }),
 *   handler: () => new Response("ok"),
 *   onError: () => new Response("Internal error\n", { status: 500 }),
 *   logger: createLogger(),
 *   budget: new ConnectionBudget(10_000),
 * });
 * await server.shutdown();
 * ```
 */
export function serveConnections(options: ConnectionServerOptions): ConnectionServer {
  return new PlainPortServer(options);
}

/** A server over one listener: its connections, limits and accept loop in named fields. */
class PlainPortServer implements ConnectionServer {
  readonly addr: Deno.NetAddr;
  readonly #options: ConnectionServerOptions;
  readonly #maxConnections: number;
  readonly #live = new Set<ServedConnection>();
  readonly #states = new Map<ServedConnection, ConnectionState>();
  #diverted = 0;
  readonly #throttle = { at: -Infinity, suppressed: 0 };
  readonly #accepting: Promise<void>;
  #closed = false;
  #draining = false;
  #rejected = 0;
  #wake: (() => void) | undefined;

  constructor(options: ConnectionServerOptions) {
    this.#options = options;
    this.#maxConnections = options.maxConnections ?? 0;
    this.addr = options.listener.addr as Deno.NetAddr;
    this.#accepting = this.#acceptLoop();
  }

  connections(): number {
    return this.#live.size + this.#diverted;
  }

  rejected(): number {
    return this.#rejected;
  }

  drain(): void {
    this.#draining = true;
  }

  async shutdown(): Promise<void> {
    this.#draining = true;
    if (!this.#closed) {
      this.#closed = true;
      try {
        this.#options.listener.close();
      } catch {
        // Already closed.
      }
      this.#wake?.();
    }
    await this.#accepting;
    await Promise.all([...this.#live].map(async (served) => {
      const state = this.#states.get(served);
      // Only with client timeouts: the header timeout bounds this wait.
      if (state !== undefined && state.requests === 0 && this.#options.watcher !== undefined) {
        await new Promise<void>((resolve) => {
          state.onFirstRequest = resolve;
          void served.finished.then(resolve);
        });
      }
      await served.shutdown();
      await served.finished;
    }));
  }

  async #acceptLoop(): Promise<void> {
    const { listener, logger, budget, watcher } = this.#options;
    let backoff = 0;
    while (!this.#closed) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
        backoff = 0;
      } catch (error) {
        if (this.#closed || error instanceof Deno.errors.BadResource) return;
        backoff = Math.min(MAX_BACKOFF_MS, Math.max(MIN_BACKOFF_MS, backoff * 2));
        if (budget !== undefined && isOutOfDescriptors(error)) {
          shedForDescriptors(budget, watcher, logger);
        }
        this.#warn("Cannot accept a connection; retrying", {
          error: (error as Error)?.message ?? String(error),
          retryMs: backoff,
          open: this.#live.size,
        });
        await this.#pause(backoff);
        continue;
      }
      if (this.#maxConnections > 0 && this.connections() >= this.#maxConnections) {
        budget?.rejectedByPort();
        this.#reject(conn, "the listener's connection limit is reached", this.#maxConnections);
      } else if (budget !== undefined && !budget.tryAcquire()) {
        this.#reject(conn, "the process's connection limit is reached", budget.max);
      } else {
        this.#serveOrDivert(conn);
      }
    }
  }

  #serveOrDivert(conn: Deno.Conn): void {
    const taken = this.#options.divert?.(conn);
    if (taken === undefined) return this.#serve(conn);
    this.#diverted++;
    const release = () => {
      this.#diverted--;
      this.#options.budget?.release();
    };
    taken.then(release, release);
  }

  #serve(conn: Deno.Conn): void {
    const { logger, budget, watcher } = this.#options;
    // As Deno.serve does for the connections it accepts: without it, a
    // response written in several pieces (a streamed upstream body) waits on
    // Nagle's algorithm and the client's delayed ACK.
    setNoDelay(conn);
    // Dropping only ever happens on a later sweep, once `served` exists.
    const watched: WatchedConnection | undefined = watcher?.watch((reason) => {
      logger.debug("closing a client connection", { reason });
      served.close();
    });
    const watching = watched === undefined
      ? this.#options.handler
      : watchRequests(this.#options.handler, watched);
    const state: ConnectionState = { requests: 0 };
    const handler: ConnectionHandler = (request, info) => {
      if (state.requests++ === 0) state.onFirstRequest?.();
      if (!this.#draining) return watching(request, info);
      // Deno's engine sends the header but keeps the connection open: a
      // graceful shutdown of the connection closes it once the answer is out.
      const close = () => void served.shutdown();
      info.completed.then(close, close);
      const result = watching(request, info);
      return result instanceof Response ? closeAfter(result) : result.then(closeAfter);
    };
    const fast = this.#options.fields;
    const watchFast = watched === undefined ? undefined : watchAnswers(watched);
    const fields: FieldsHandler | undefined = fast && ((request, info) => {
      // A draining connection's answers say `Connection: close`: the `Request` path marks them.
      if (this.#draining) return undefined;
      const result = fast(request, info);
      if (result === undefined) return undefined;
      if (state.requests++ === 0) state.onFirstRequest?.();
      return watchFast === undefined ? result : watchFast(request.method, info, result);
    });
    const served = this.#options.override?.(conn, handler, this.#options.onError, fields) ??
      this.#options.engine?.(conn, handler, this.#options.onError, fields) ??
      serveConnection(conn, handler, this.#options.onError, (error) => {
        logger.debug("connection ended with an error", { error: (error as Error)?.message });
      });
    this.#live.add(served);
    this.#states.set(served, state);
    void served.finished.then(() => {
      this.#live.delete(served);
      this.#states.delete(served);
      watched?.end();
      budget?.release();
    });
  }

  #reject(conn: Deno.Conn, why: string, limit: number): void {
    this.#rejected++;
    try {
      conn.close();
    } catch {
      // Already closed.
    }
    this.#warn(`Closing a new connection: ${why}`, { limit, open: this.#live.size });
  }

  /** Logs at most once every `LOG_EVERY_MS`, counting what it left out. */
  #warn(message: string, fields: Record<string, unknown>): void {
    const throttle = this.#throttle;
    const now = Date.now();
    if (now - throttle.at < LOG_EVERY_MS) {
      throttle.suppressed++;
      return;
    }
    this.#options.logger.warn(message, { ...fields, suppressed: throttle.suppressed });
    throttle.at = now;
    throttle.suppressed = 0;
  }

  /** Waits `ms`, or less when the server shuts down. */
  #pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
