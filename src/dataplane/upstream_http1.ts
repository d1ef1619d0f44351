/**
 * The pooled HTTP/1.1 upstream client over `Deno.connect` (Nagle off):
 * keep-alive connections per endpoint (LIFO, bounded, idle timeout), connect
 * timeout, response-head timeout, streamed bodies both ways with
 * Content-Length or chunked framing, raw request-target, no decompression.
 * A reused connection found dead before any response byte is retried once on
 * a fresh connection when the request body can be replayed (none, or small
 * and already read).
 * @module
 */
import { createDeadlineTimer, type Deadline } from "./deadline_timer.ts";
import { readBodyOfLength } from "./request_body.ts";
import { Http1Connection } from "./upstream_connection.ts";
import { asUpstreamError, exchangeHttp1, StaleConnectionError } from "./upstream_http1_exchange.ts";
import { IdleConnections } from "./upstream_idle_pool.ts";
import {
  type UpstreamCallOptions,
  type UpstreamClient,
  type UpstreamEndpoint,
  UpstreamError,
  type UpstreamRequest,
  type UpstreamResponse,
} from "./upstream_types.ts";
import { startBackendTls, tlsPoolKey } from "./upstream_tls.ts";
import type { BackendTlsConfig } from "../model/config.ts";

/** Options of {@linkcode createHttp1Client}. */
export interface Http1ClientOptions {
  /** Idle connections kept per endpoint (default 128). */
  maxIdlePerEndpoint?: number;
  /** Idle connections older than this are closed (ms, default 30 000). */
  idleTimeoutMs?: number;
  /** Limit on establishing a connection (ms, default 5 000). */
  connectTimeoutMs?: number;
  /** Response bodies with a Content-Length up to this size are read before answering (default 64 KiB). */
  bufferBodyBytes?: number;
  /** Request bodies with a Content-Length up to this size are read first, so they can be retried (default 64 KiB). */
  bufferRequestBytes?: number;
}

/** Pool counters, for tests and `/config`. */
export interface Http1ClientStats {
  connectsTotal: number;
  idle: number;
  retriesTotal: number;
}

/** The HTTP/1.1 client with its pool counters. */
export interface Http1Client extends UpstreamClient {
  stats(): Http1ClientStats;
}

/**
 * Creates a pooled HTTP/1.1 client.
 *
 * @example
 * ```ts
 * import { createHttp1Client } from "./upstream_http1.ts";
 * const client = createHttp1Client({ maxIdlePerEndpoint: 64 });
 * client.close();
 * ```
 */
export function createHttp1Client(options: Http1ClientOptions = {}): Http1Client {
  return new PooledHttp1Client(options);
}

/** A request in flight: what its deadline must close or abort when it fires. */
interface InFlight {
  timedOut: boolean;
  current?: Http1Connection;
  connecting?: AbortController;
}

/** The pooled client: settings, idle connections and counters in named fields. */
class PooledHttp1Client implements Http1Client {
  readonly #connectTimeoutMs: number;
  readonly #bufferBodyBytes: number;
  readonly #bufferRequestBytes: number;
  readonly #idle: IdleConnections;
  readonly #deadlines = createDeadlineTimer();
  readonly #stats = { connectsTotal: 0, retriesTotal: 0 };

  constructor(options: Http1ClientOptions) {
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 5_000;
    this.#bufferBodyBytes = options.bufferBodyBytes ?? 64 * 1024;
    this.#bufferRequestBytes = options.bufferRequestBytes ?? 64 * 1024;
    this.#idle = new IdleConnections(
      options.maxIdlePerEndpoint ?? 128,
      options.idleTimeoutMs ?? 30_000,
    );
  }

  stats(): Http1ClientStats {
    return { ...this.#stats, idle: this.#idle.size };
  }

  close(): void {
    this.#deadlines.close();
    this.#idle.close();
  }

  /**
   * Sends on an idle connection, or a new one; a reused connection found
   * dead before any response byte is retried once on a new connection when
   * the body can be sent again (none, or read whole). One async function for
   * the whole call: each nested one cost a promise and a resumption per request.
   */
  async request(
    ep: UpstreamEndpoint,
    req: UpstreamRequest,
    opts: UpstreamCallOptions,
  ): Promise<UpstreamResponse> {
    let body: Uint8Array | ReadableStream<Uint8Array> | null = req.body;
    if (
      body !== null && req.contentLength !== null && req.contentLength <= this.#bufferRequestBytes
    ) {
      body = await readBodyOfLength(body, req.contentLength);
    }
    const framing = body === null
      ? (req.contentLength === 0 ? 0 : "none")
      : body instanceof Uint8Array
      ? body.length
      : req.contentLength ?? "chunked";
    const flight: InFlight = { timedOut: false };
    const deadline: Deadline | undefined = opts.timeoutMs > 0
      ? this.#deadlines.arm(opts.timeoutMs, () => {
        flight.timedOut = true;
        flight.current?.close();
        flight.connecting?.abort();
      })
      : undefined;
    const key = opts.tls === undefined
      ? ep.address + ":" + ep.port
      : ep.address + ":" + ep.port + "|" + tlsPoolKey(opts.tls);
    let c = this.#idle.take(key);
    try {
      for (let attempt = 0;; attempt++) {
        if (c === undefined) {
          flight.connecting = new AbortController();
          c = await this.#connect(ep, flight.connecting, opts.tls);
          flight.connecting = undefined;
        }
        flight.current = c;
        const conn = c;
        try {
          return await exchangeHttp1(conn, {
            method: req.method,
            target: req.target,
            headers: req.headers,
            framing,
            body,
            bufferBodyBytes: this.#bufferBodyBytes,
            done: (reusable) => reusable ? this.#idle.park(key, conn) : conn.close(),
          });
        } catch (error) {
          conn.close();
          if (flight.timedOut) throw timeoutError(ep, opts.timeoutMs);
          const replayable = !(body instanceof ReadableStream);
          if (
            error instanceof StaleConnectionError && conn.uses > 1 && replayable && attempt === 0
          ) {
            this.#stats.retriesTotal++;
            c = undefined;
            continue;
          }
          throw asUpstreamError(error);
        }
      }
    } catch (error) {
      if (flight.timedOut) throw timeoutError(ep, opts.timeoutMs);
      throw error;
    } finally {
      deadline?.cancel();
    }
  }

  /** A new claimed connection to `ep` (TLS when `tls` is set), within the connect timeout. */
  async #connect(
    ep: UpstreamEndpoint,
    abort: AbortController,
    tls: BackendTlsConfig | undefined,
  ): Promise<Http1Connection> {
    const timer = setTimeout(() => abort.abort(), this.#connectTimeoutMs);
    try {
      const tcp = await Deno.connect({
        hostname: ep.address,
        port: ep.port,
        signal: abort.signal,
      });
      tcp.setNoDelay(true);
      const conn = tls === undefined
        ? tcp
        : await startBackendTls(tcp, tls, `${ep.address}:${ep.port}`, abort.signal);
      this.#stats.connectsTotal++;
      const c = new Http1Connection(conn);
      c.claim();
      return c;
    } catch (error) {
      if (error instanceof UpstreamError) throw error;
      if (abort.signal.aborted) {
        throw new UpstreamError(
          "timeout",
          `Cannot connect to upstream ${ep.address}:${ep.port}: no answer within ${this.#connectTimeoutMs} ms`,
        );
      }
      throw new UpstreamError(
        "connect",
        `Cannot connect to upstream ${ep.address}:${ep.port}: ${(error as Error).message}`,
        { cause: error },
      );
    } finally {
      clearTimeout(timer);
    }
  }
}

function timeoutError(ep: UpstreamEndpoint, ms: number): UpstreamError {
  return new UpstreamError(
    "timeout",
    `Upstream ${ep.address}:${ep.port} did not respond within ${ms} ms`,
  );
}
