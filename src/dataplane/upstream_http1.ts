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
import { ClientGoneError, type GoneListener } from "./client_gone.ts";
import { createDeadlineTimer, type Deadline } from "./deadline_timer.ts";
import { readBodyOfLength } from "./request_body.ts";
import {
  DEFAULT_UPSTREAM_SEND_TIMEOUT_MS,
  Http1Connection,
  type SendStall,
} from "./upstream_connection.ts";
import {
  asUpstreamError,
  exchangeHttp1,
  type Http1Exchange,
  StaleConnectionError,
} from "./upstream_http1_exchange.ts";
import type { BodyFraming } from "./upstream_request_writer.ts";
import { IdleConnections } from "./upstream_idle_pool.ts";
import {
  type FieldLines,
  type UpstreamCallOptions,
  type UpstreamClient,
  type UpstreamEndpoint,
  UpstreamError,
  type UpstreamRequest,
  type UpstreamResponse,
} from "./upstream_types.ts";
import { startBackendTls, tlsPoolKey } from "./upstream_tls.ts";
import type { BackendTlsConfig } from "../model/config.ts";
import type { SocketsSetting } from "./client_timeouts.ts";
import { libcConnect } from "./libc_connect.ts";
import { upstreamOnLibc } from "./libc_sockets.ts";

/** Options of {@linkcode createHttp1Client}. */
export interface Http1ClientOptions {
  /**
   * Idle connections kept per endpoint (default 256: more than one HTTP/2
   * client's 100 streams in flight, and than h2load's 200 of a benchmark,
   * whose swings past 128 closed connections only to open new ones).
   */
  maxIdlePerEndpoint?: number;
  /** Idle connections older than this are closed (ms, default 30 000). */
  idleTimeoutMs?: number;
  /** Limit on establishing a connection (ms, default 5 000). */
  connectTimeoutMs?: number;
  /** Response bodies with a Content-Length up to this size are read before answering (default 64 KiB). */
  bufferBodyBytes?: number;
  /** Request bodies with a Content-Length up to this size are read first, so they can be retried (default 64 KiB). */
  bufferRequestBytes?: number;
  /**
   * How long a write of a request may wait with no byte taken by the
   * backend before the exchange fails (504 before the response, the
   * connection closed after it): ms, default
   * {@linkcode DEFAULT_UPSTREAM_SEND_TIMEOUT_MS}; `0`: for ever.
   */
  sendTimeoutMs?: number;
  /**
   * Whose sockets cleartext connections are made on (`--sockets`,
   * `libc_sockets.ts`); absent: the default. TLS connections are Deno's.
   */
  sockets?: SocketsSetting;
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

/** The pooled client: settings, idle connections and counters in named fields. */
class PooledHttp1Client implements Http1Client {
  readonly #connectTimeoutMs: number;
  readonly #bufferBodyBytes: number;
  readonly #bufferRequestBytes: number;
  readonly #onLibc: boolean;
  readonly idle: IdleConnections;
  readonly #deadlines = createDeadlineTimer();
  readonly #sendStall: SendStall;
  readonly #stats = { connectsTotal: 0, retriesTotal: 0 };

  constructor(options: Http1ClientOptions) {
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 5_000;
    this.#bufferBodyBytes = options.bufferBodyBytes ?? 64 * 1024;
    this.#bufferRequestBytes = options.bufferRequestBytes ?? 64 * 1024;
    this.#onLibc = upstreamOnLibc(options.sockets);
    this.#sendStall = {
      ms: options.sendTimeoutMs ?? DEFAULT_UPSTREAM_SEND_TIMEOUT_MS,
      timer: this.#deadlines,
    };
    this.idle = new IdleConnections(
      options.maxIdlePerEndpoint ?? 256,
      options.idleTimeoutMs ?? 30_000,
    );
  }

  stats(): Http1ClientStats {
    return { ...this.#stats, idle: this.idle.size };
  }

  close(): void {
    this.#deadlines.close();
    this.idle.close();
  }

  /**
   * Sends on an idle connection, or a new one. Not `async`: on a pooled
   * connection the exchange is the request's one async function, so a
   * request costs one promise of ours and the two awaits of its write and read.
   */
  request(
    ep: UpstreamEndpoint,
    req: UpstreamRequest,
    opts: UpstreamCallOptions,
  ): Promise<UpstreamResponse> {
    const body = req.body;
    if (
      body !== null && req.contentLength !== null && req.contentLength <= this.#bufferRequestBytes
    ) {
      // Read whole, so a dead reused connection can be retried with it.
      return readBodyOfLength(body, req.contentLength).then((bytes) =>
        this.#send(ep, req, bytes, opts)
      );
    }
    return this.#send(ep, req, body, opts);
  }

  #send(
    ep: UpstreamEndpoint,
    req: UpstreamRequest,
    body: Uint8Array | ReadableStream<Uint8Array> | null,
    opts: UpstreamCallOptions,
  ): Promise<UpstreamResponse> {
    const call = new Http1Call(this, ep, req, body, opts, this.#bufferBodyBytes);
    const client = req.client;
    if (client !== undefined) {
      if (client.gone) return Promise.reject(new ClientGoneError());
      client.onGone(call);
    }
    if (opts.timeoutMs > 0) {
      call.deadline = this.#deadlines.arm(opts.timeoutMs, call, req.startedAt);
    }
    const c = this.idle.take(call.key);
    if (c === undefined) return this.sendOnNewConnection(call);
    call.current = c;
    return exchangeHttp1(c, call);
  }

  /**
   * Where a failed try of `call` on `c` goes: a reused connection found
   * dead before any response byte is retried once on a new connection when
   * the body can be sent again (none, or read whole); anything else throws
   * the caller's error.
   */
  failed(call: Http1Call, c: Http1Connection, error: unknown): Promise<UpstreamResponse> {
    c.close();
    if (
      !call.timedOut && !call.left && error instanceof StaleConnectionError && c.uses > 1 &&
      !(call.body instanceof ReadableStream) && call.attempt === 0
    ) {
      this.#stats.retriesTotal++;
      call.attempt++;
      return this.sendOnNewConnection(call);
    }
    call.deadline?.cancel();
    throw call.left
      ? new ClientGoneError()
      : call.timedOut
      ? call.timeoutError()
      : asUpstreamError(error);
  }

  /** Sends `call` on a new connection. */
  async sendOnNewConnection(call: Http1Call): Promise<UpstreamResponse> {
    let c: Http1Connection;
    try {
      call.connecting = new AbortController();
      c = await this.#connect(call.ep, call.connecting, call.tls);
      call.connecting = undefined;
    } catch (error) {
      call.deadline?.cancel();
      throw call.left ? new ClientGoneError() : call.timedOut ? call.timeoutError() : error;
    }
    if (call.left) {
      // The client left while the connection was made: it goes back unused.
      call.done(c, true);
      throw new ClientGoneError();
    }
    call.current = c;
    // Its failures, a retry's included, are settled by `failed`.
    return exchangeHttp1(c, call);
  }

  /** A new claimed connection to `ep` (TLS when `tls` is set), within the connect timeout. */
  async #connect(
    ep: UpstreamEndpoint,
    abort: AbortController,
    tls: BackendTlsConfig | undefined,
  ): Promise<Http1Connection> {
    const timer = setTimeout(() => abort.abort(), this.#connectTimeoutMs);
    try {
      const to = { hostname: ep.address, port: ep.port, signal: abort.signal };
      // A name to resolve, and TLS, are Deno's.
      const tcp = await ((this.#onLibc && tls === undefined ? libcConnect(to) : undefined) ??
        Deno.connect(to));
      tcp.setNoDelay(true);
      const conn = tls === undefined
        ? tcp
        : await startBackendTls(tcp, tls, `${ep.address}:${ep.port}`, abort.signal);
      this.#stats.connectsTotal++;
      const c = new Http1Connection(conn);
      c.sendStall = this.#sendStall;
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

/**
 * One request through the pool: what it sends, its deadline and its tries.
 * One object per request carries what closures per request carried before;
 * it is also what hears that the request's client left.
 */
class Http1Call implements Http1Exchange, GoneListener {
  readonly method: string;
  readonly target: string;
  readonly headers: string[];
  readonly fields: FieldLines | undefined;
  sentHead: Uint8Array | undefined = undefined;
  readonly framing: BodyFraming;
  readonly readsTrailers: boolean;
  readonly lendsBody: boolean;
  readonly key: string;
  readonly tls: BackendTlsConfig | undefined;
  readonly #timeoutMs: number;
  deadline: Deadline | undefined = undefined;
  timedOut = false;
  /** The client went away: the current try is ended, and no other is made. */
  left = false;
  /** The connection went back to the pool or was closed: nothing of it is this call's any more. */
  released = false;
  attempt = 0;
  /** The connection of the current try, which the deadline closes. */
  current: Http1Connection | undefined = undefined;
  /** A connect under way, which the deadline aborts. */
  connecting: AbortController | undefined = undefined;

  constructor(
    readonly client: PooledHttp1Client,
    readonly ep: UpstreamEndpoint,
    req: UpstreamRequest,
    readonly body: Uint8Array | ReadableStream<Uint8Array> | null,
    opts: UpstreamCallOptions,
    readonly bufferBodyBytes: number,
  ) {
    this.method = req.method;
    this.target = req.target;
    // The TE option goes in Connection too: TE is for the next hop only (RFC 9110 §10.1.4).
    const te = req.acceptsTrailers === true;
    // Fields written from the client's bytes leave `headers` unread (it would make their strings).
    this.fields = req.fields;
    this.headers = req.fields !== undefined
      ? (te ? TE_FIELDS : NO_FIELDS)
      : te
      ? [...req.headers, ...TE_FIELDS]
      : req.headers;
    this.readsTrailers = req.acceptsTrailers === true;
    this.lendsBody = req.takesBodyAtOnce === true;
    this.framing = body === null
      ? (req.contentLength === 0 ? 0 : "none")
      : body instanceof Uint8Array
      ? body.length
      : req.contentLength ?? "chunked";
    this.tls = opts.tls;
    this.#timeoutMs = opts.timeoutMs;
    this.key = opts.tls === undefined ? plainPoolKey(ep) : tlsEndpointKey(ep, opts.tls);
  }

  done(c: Http1Connection, reusable: boolean): void {
    this.released = true;
    if (reusable) this.client.idle.park(this.key, c);
    else c.close();
  }

  answered(): void {
    this.deadline?.cancel();
  }

  failed(c: Http1Connection, error: unknown): Promise<UpstreamResponse> {
    return this.client.failed(this, c, error);
  }

  /** The deadline fired: ends the current try. */
  expire(): void {
    this.timedOut = true;
    this.current?.close();
    this.connecting?.abort();
  }

  /**
   * The client left: the connection of the current try is closed, whether
   * its answer was still awaited or its body streaming (never parked
   * half-read), or its connect is aborted.
   */
  clientGone(): void {
    if (this.released) return;
    this.left = true;
    this.deadline?.cancel();
    this.current?.close();
    this.connecting?.abort();
  }

  timeoutError(): UpstreamError {
    return timeoutError(this.ep, this.#timeoutMs);
  }
}

/** What a client that takes trailers adds to the backend's head (never written to). */
const TE_FIELDS: string[] = ["te", "trailers", "connection", "te"];
const NO_FIELDS: string[] = [];

/**
 * Pool keys of plain endpoints, by the table's endpoint object (the same
 * object for every request until the next table): a request builds no
 * `address:port` string for the idle pool to flatten and hash again.
 */
const plainKeys = new WeakMap<UpstreamEndpoint, string>();

function plainPoolKey(ep: UpstreamEndpoint): string {
  let key = plainKeys.get(ep);
  if (key === undefined) plainKeys.set(ep, key = ep.address + ":" + ep.port);
  return key;
}

/**
 * Pool keys of TLS endpoints, by endpoint object and the backend's TLS
 * settings it was last asked with: a string made per request would cost
 * the pool's lookup its hashing (about 800 instructions under callgrind).
 */
const tlsKeys = new WeakMap<UpstreamEndpoint, { tls: BackendTlsConfig; key: string }>();

function tlsEndpointKey(ep: UpstreamEndpoint, tls: BackendTlsConfig): string {
  const known = tlsKeys.get(ep);
  if (known !== undefined && known.tls === tls) return known.key;
  const key = ep.address + ":" + ep.port + "|" + tlsPoolKey(tls);
  tlsKeys.set(ep, { tls, key });
  return key;
}

function timeoutError(ep: UpstreamEndpoint, ms: number): UpstreamError {
  return new UpstreamError(
    "timeout",
    `Upstream ${ep.address}:${ep.port} did not respond within ${ms} ms`,
  );
}
