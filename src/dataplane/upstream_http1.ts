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
import { ClientBodyError, readClientChunk } from "./request_body.ts";
import { chunkedBody, lengthBody, untilCloseBody } from "./upstream_body.ts";
import { Http1Connection } from "./upstream_connection.ts";
import { parseResponseHeadBytes, type ResponseHead } from "./upstream_head_parser.ts";
import {
  type UpstreamCallOptions,
  type UpstreamClient,
  type UpstreamEndpoint,
  UpstreamError,
  type UpstreamRequest,
  type UpstreamResponse,
} from "./upstream_types.ts";
import { encodeRequestHead, sendBody } from "./upstream_request_writer.ts";
import { startBackendTls } from "./upstream_tls.ts";
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

/** Thrown when a reused connection turns out dead before any response byte. */
class StaleConnectionError extends UpstreamError {
  constructor(cause?: unknown) {
    super("reset", "Upstream closed a reused connection before responding", { cause });
  }
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
  const maxIdle = options.maxIdlePerEndpoint ?? 128;
  const idleTimeoutMs = options.idleTimeoutMs ?? 30_000;
  const connectTimeoutMs = options.connectTimeoutMs ?? 5_000;
  const bufferBodyBytes = options.bufferBodyBytes ?? 64 * 1024;
  const bufferRequestBytes = options.bufferRequestBytes ?? 64 * 1024;
  const idle = new Map<string, Http1Connection[]>();
  let idleCount = 0;
  let sweeper: ReturnType<typeof setInterval> | undefined;
  const stats = { connectsTotal: 0, retriesTotal: 0 };
  const deadlines = createDeadlineTimer();

  const forget = (key: string) => (c: Http1Connection) => {
    const stack = idle.get(key);
    const at = stack ? stack.indexOf(c) : -1;
    if (at !== -1) {
      stack!.splice(at, 1);
      idleCount--;
    }
  };

  function sweep(): void {
    const oldest = performance.now() - idleTimeoutMs;
    for (const [key, stack] of idle) {
      // LIFO: the longest idle connections are at the bottom.
      while (stack.length > 0 && stack[0].idleSince < oldest) {
        stack.shift()!.close();
        idleCount--;
      }
      if (stack.length === 0) idle.delete(key);
    }
    if (idleCount === 0 && sweeper !== undefined) {
      clearInterval(sweeper);
      sweeper = undefined;
    }
  }

  function release(key: string, c: Http1Connection): void {
    if (c.closed) return;
    let stack = idle.get(key);
    if (stack === undefined) idle.set(key, stack = []);
    if (stack.length >= maxIdle || c.buffered !== 0) {
      c.close();
      return;
    }
    c.idleSince = performance.now();
    c.park(forget(key));
    stack.push(c);
    idleCount++;
    if (sweeper === undefined) {
      sweeper = setInterval(sweep, Math.max(10, Math.min(1000, idleTimeoutMs / 2)));
      Deno.unrefTimer(sweeper as unknown as number);
    }
  }

  function acquire(key: string): Http1Connection | undefined {
    const stack = idle.get(key);
    while (stack !== undefined && stack.length > 0) {
      const c = stack.pop()!;
      idleCount--;
      if (!c.closed) {
        c.claim();
        return c;
      }
    }
    return undefined;
  }

  async function connect(
    ep: UpstreamEndpoint,
    abort: AbortController,
    tls: BackendTlsConfig | undefined,
  ): Promise<Http1Connection> {
    const timer = setTimeout(() => abort.abort(), connectTimeoutMs);
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
      stats.connectsTotal++;
      const c = new Http1Connection(conn);
      c.claim();
      return c;
    } catch (error) {
      if (error instanceof UpstreamError) throw error;
      if (abort.signal.aborted) {
        throw new UpstreamError(
          "timeout",
          `Cannot connect to upstream ${ep.address}:${ep.port}: no answer within ${connectTimeoutMs} ms`,
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

  async function request(
    ep: UpstreamEndpoint,
    req: UpstreamRequest,
    opts: UpstreamCallOptions,
  ): Promise<UpstreamResponse> {
    const key = opts.tls === undefined
      ? ep.address + ":" + ep.port
      : ep.address + ":" + ep.port + "|" + tlsPoolKey(opts.tls);
    let body: Uint8Array | ReadableStream<Uint8Array> | null = req.body;
    if (body !== null && req.contentLength !== null && req.contentLength <= bufferRequestBytes) {
      body = await readAll(body, req.contentLength);
    }
    const framing = body === null
      ? (req.contentLength === 0 ? 0 : "none")
      : body instanceof Uint8Array
      ? body.length
      : req.contentLength ?? "chunked";
    const head = encodeRequestHead(req.method, req.target, req.headers, framing);
    let timedOut = false;
    let current: Http1Connection | undefined;
    let connecting: AbortController | undefined;
    const deadline: Deadline | undefined = opts.timeoutMs > 0
      ? deadlines.arm(opts.timeoutMs, () => {
        timedOut = true;
        current?.close();
        connecting?.abort();
      })
      : undefined;
    try {
      let c = acquire(key);
      for (let attempt = 0;; attempt++) {
        if (c === undefined) {
          connecting = new AbortController();
          c = await connect(ep, connecting, opts.tls);
          connecting = undefined;
        }
        current = c;
        try {
          return await exchange(c, req.method, head, body, framing === "chunked", (reusable) => {
            if (reusable) release(key, c!);
            else c!.close();
          });
        } catch (error) {
          c.close();
          if (timedOut) throw timeoutError(ep, opts.timeoutMs);
          const replayable = !(body instanceof ReadableStream);
          if (error instanceof StaleConnectionError && c.uses > 1 && replayable && attempt === 0) {
            stats.retriesTotal++;
            c = undefined;
            continue;
          }
          throw asUpstreamError(error);
        }
      }
    } catch (error) {
      if (timedOut) throw timeoutError(ep, opts.timeoutMs);
      throw error;
    } finally {
      deadline?.cancel();
    }
  }

  async function exchange(
    c: Http1Connection,
    method: string,
    head: Uint8Array,
    body: Uint8Array | ReadableStream<Uint8Array> | null,
    chunked: boolean,
    done: (reusable: boolean) => void,
  ): Promise<UpstreamResponse> {
    const fresh = c.uses === 1;
    let bodySent = true;
    let clientBodyError: ClientBodyError | undefined;
    try {
      if (body instanceof Uint8Array && body.length > 0 && head.length + body.length <= 65536) {
        const both = new Uint8Array(head.length + body.length);
        both.set(head);
        both.set(body, head.length);
        await c.write(both);
      } else {
        await c.write(head);
        if (body instanceof Uint8Array && body.length > 0) await c.write(body);
      }
    } catch (error) {
      throw fresh ? asUpstreamError(error) : new StaleConnectionError(error);
    }
    if (body instanceof ReadableStream) {
      bodySent = false;
      // Sent while the response is awaited: an upstream may answer early.
      sendBody(c, body, chunked).then(() => bodySent = true, (error) => {
        if (error instanceof ClientBodyError) clientBodyError = error;
        c.close();
      });
    }

    let parsed: ResponseHead | null;
    let first = true;
    for (;;) {
      try {
        parsed = await c.readHead(parseResponseHeadBytes);
      } catch (error) {
        // The client went away mid-upload and the connection was closed for it.
        if (clientBodyError !== undefined) throw clientBodyError;
        if (first && !fresh && !(error instanceof UpstreamError)) {
          throw new StaleConnectionError(error);
        }
        throw error;
      }
      if (parsed === null) {
        if (clientBodyError !== undefined) throw clientBodyError;
        if (first && !fresh) throw new StaleConnectionError();
        throw new UpstreamError("reset", "Upstream closed the connection before responding");
      }
      first = false;
      if (parsed.status >= 200) break;
      if (parsed.status === 101) {
        throw new UpstreamError(
          "protocol",
          "Cannot accept upstream 101 Switching Protocols: no upgrade was requested",
        );
      }
      // Interim responses (100 Continue, 103 Early Hints) are not forwarded.
    }

    const finish = (reusable: boolean) => done(reusable && parsed.keepAlive && bodySent);
    const status = parsed.status;
    if (method === "HEAD" || status === 204 || status === 304) {
      finish(true);
      return { status, headers: parsed.headers, body: null, contentLength: parsed.contentLength };
    }
    if (parsed.chunked) {
      return { status, headers: parsed.headers, body: chunkedBody(c, finish), contentLength: null };
    }
    if (parsed.contentLength >= 0) {
      if (parsed.contentLength <= bufferBodyBytes) {
        const bytes = await c.readExact(parsed.contentLength);
        finish(true);
        return { status, headers: parsed.headers, body: bytes, contentLength: null };
      }
      return {
        status,
        headers: parsed.headers,
        body: lengthBody(c, parsed.contentLength, finish),
        contentLength: parsed.contentLength,
      };
    }
    return {
      status,
      headers: parsed.headers,
      body: untilCloseBody(c, finish),
      contentLength: null,
    };
  }

  return {
    request,
    stats: () => ({ ...stats, idle: idleCount }),
    close() {
      deadlines.close();
      if (sweeper !== undefined) clearInterval(sweeper);
      sweeper = undefined;
      for (const stack of idle.values()) for (const c of stack) c.close();
      idle.clear();
      idleCount = 0;
    },
  };
}

const tlsKeys = new WeakMap<BackendTlsConfig, string>();

/**
 * TLS connections are pooled per TLS settings, not per policy name: a policy
 * edited to trust another CA must not reuse connections the old CA verified.
 * Tables are frozen, so the text is computed once per table.
 */
function tlsPoolKey(tls: BackendTlsConfig): string {
  let key = tlsKeys.get(tls);
  if (key === undefined) tlsKeys.set(tls, key = JSON.stringify(tls));
  return key;
}

function timeoutError(ep: UpstreamEndpoint, ms: number): UpstreamError {
  return new UpstreamError(
    "timeout",
    `Upstream ${ep.address}:${ep.port} did not respond within ${ms} ms`,
  );
}

function asUpstreamError(error: unknown): UpstreamError | ClientBodyError {
  if (error instanceof UpstreamError || error instanceof ClientBodyError) return error;
  return new UpstreamError(
    "reset",
    `Upstream connection failed: ${(error as Error)?.message ?? String(error)}`,
    { cause: error },
  );
}

/**
 * Reads a body of `length` bytes. Chunks are copied as they come rather than
 * into one buffer of `length` allocated up front, so a client that stalls
 * after a few bytes holds a few bytes, not the whole declared length (the
 * client side's 64 KiB read buffers are not kept either).
 */
async function readAll(body: ReadableStream<Uint8Array>, length: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let filled = 0;
  const reader = body.getReader();
  for (;;) {
    const { value: chunk, done } = await readClientChunk(reader);
    if (done) break;
    if (filled + chunk.length > length) {
      await reader.cancel().catch(() => {});
      throw new ClientBodyError("Cannot forward request body: longer than its Content-Length");
    }
    if (chunk.length === 0) continue;
    parts.push(chunk.length === length ? chunk : chunk.slice());
    filled += chunk.length;
  }
  if (filled !== length) {
    throw new ClientBodyError("Cannot forward request body: shorter than its Content-Length");
  }
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
