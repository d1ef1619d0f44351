/**
 * The backend side of an HTTP/1.1 upgrade (WebSocket and any other
 * `Upgrade`). The request handler routes an upgrade request like any other
 * (matching, filters, backend and endpoint choice, retries on a failed
 * connect); only the upstream call differs. The port server runs the handler
 * inside {@linkcode runUpgrade}, and the client made by
 * {@linkcode upgradeAwareClient} then opens a connection of its own to the
 * endpoint, writes the request with `Connection: upgrade` and the client's
 * `Upgrade`, and reads the answer's head:
 *
 * - `101 Switching Protocols`: the answer the handler gets is a stand-in
 *   (status 200, the backend's headers, an empty body stream) so the rule's
 *   response header modifiers still apply; {@linkcode takeUpgraded} finds
 *   the backend connection again from that body, and the port server writes
 *   the real `101` and splices the two connections;
 * - anything else: the backend refused, and its answer (body included) goes
 *   back as any answer would; the connection closes after it.
 *
 * The scope travels with the call through `AsyncLocalStorage`, so outside an
 * upgrade the wrapper costs one lookup per upstream call.
 * @module
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { ProxyClient } from "./upstream_client.ts";
import { chunkedBody, lengthBody, untilCloseBody } from "./upstream_body.ts";
import {
  DEFAULT_UPSTREAM_SEND_TIMEOUT_MS,
  Http1Connection,
  type SendStall,
} from "./upstream_connection.ts";
import { createDeadlineTimer } from "./deadline_timer.ts";
import { latin1 } from "./http1_bytes.ts";
import { parseResponseHeadBytes } from "./upstream_head_parser.ts";
import { encodeRequestHead } from "./upstream_request_writer.ts";
import { startBackendTls } from "./upstream_tls.ts";
import {
  type UpstreamCallOptions,
  type UpstreamEndpoint,
  UpstreamError,
  type UpstreamRequest,
  type UpstreamResponse,
} from "./upstream_types.ts";

/** A backend connection that switched protocols. */
export interface UpgradedBackend {
  conn: Deno.TcpConn | Deno.TlsConn;
  /** Bytes the backend sent after its 101 head, already read. */
  leftover: Uint8Array | null;
  /** The backend's `Upgrade` header (the client's when the backend sent none). */
  upgrade: string;
}

const scope = new AsyncLocalStorage<{ upgrade: string }>();
const upgradedByBody = new WeakMap<ReadableStream<Uint8Array>, UpgradedBackend>();

/** Runs `fn` (the request handler) so that its upstream calls ask for `upgrade`. */
export function runUpgrade<T>(upgrade: string, fn: () => T): T {
  return scope.run({ upgrade }, fn);
}

/** The backend connection behind a stand-in answer, once; `undefined` for any other answer. */
export function takeUpgraded(response: Response): UpgradedBackend | undefined {
  const body = response.body;
  if (body === null) return undefined;
  const upgraded = upgradedByBody.get(body);
  upgradedByBody.delete(body);
  return upgraded;
}

/**
 * Wraps `inner` so calls made inside {@linkcode runUpgrade} perform the
 * upgrade exchange; every other call goes to `inner` unchanged. The
 * request's write waits at most `sendTimeoutMs` for the backend to take
 * more of it (`--upstream-send-timeout`; `0`: for ever).
 *
 * @example
 * ```ts
 * import { upgradeAwareClient } from "./upgrade_client.ts";
 * import { createProxyClient } from "./upstream_client.ts";
 * const client = upgradeAwareClient(createProxyClient());
 * client.close();
 * ```
 */
export function upgradeAwareClient(
  inner: ProxyClient,
  sendTimeoutMs = DEFAULT_UPSTREAM_SEND_TIMEOUT_MS,
): ProxyClient {
  // The request head goes out before the 101, bounded like any request's.
  const timer = createDeadlineTimer();
  const stall: SendStall = { ms: sendTimeoutMs, timer };
  return {
    request(protocol, endpoint, request, options) {
      const upgrade = scope.getStore()?.upgrade;
      if (upgrade === undefined) return inner.request(protocol, endpoint, request, options);
      if (protocol !== "http") {
        return Promise.reject(
          new UpstreamError("protocol", `Cannot upgrade a connection to an ${protocol} backend`),
        );
      }
      return upgradeExchange(endpoint, request, options, upgrade, stall);
    },
    stats: () => inner.stats(),
    close: () => {
      timer.close();
      inner.close();
    },
  };
}

async function upgradeExchange(
  endpoint: UpstreamEndpoint,
  request: UpstreamRequest,
  options: UpstreamCallOptions,
  upgrade: string,
  stall: SendStall,
): Promise<UpstreamResponse> {
  const where = `${endpoint.address}:${endpoint.port}`;
  const deadline = new AbortController();
  let c: Http1Connection | undefined;
  const timer = options.timeoutMs > 0
    ? setTimeout(() => {
      deadline.abort();
      c?.close();
    }, options.timeoutMs)
    : undefined;
  try {
    c = new Http1Connection(await connect(endpoint, options, where, deadline.signal));
    c.sendStall = stall;
    const headers = [...request.headers, "connection", "upgrade", "upgrade", upgrade];
    await c.write(encodeRequestHead(request.method, request.target, headers, "none"));
    let answered = upgrade;
    const head = await c.readHead((buf, start, end) => {
      const parsed = parseResponseHeadBytes(buf, start, end);
      answered = /\r\nupgrade:[ \t]*([^\r]*?)[ \t]*(\r\n|$)/i.exec(latin1(buf, start, end))?.[1] ||
        upgrade;
      return parsed;
    });
    if (head === null) {
      throw new UpstreamError("reset", `Upstream ${where} closed the connection before answering`);
    }
    clearTimeout(timer);
    const conn = c;
    if (head.status === 101) {
      const leftover = c.buffered > 0 ? await c.readSome(c.buffered) : null;
      const body = new ReadableStream<Uint8Array>({ cancel: () => conn.close() });
      upgradedByBody.set(body, { conn: conn.conn, leftover, upgrade: answered });
      return { status: 200, headers: head.headers, body, contentLength: null };
    }
    if (head.status < 200) {
      throw new UpstreamError("protocol", `Cannot accept upstream status ${head.status}`);
    }
    const done = () => conn.close();
    const bodyless = request.method === "HEAD" || head.status === 204 || head.status === 304 ||
      head.contentLength === 0;
    const body = bodyless
      ? null
      : head.chunked
      ? chunkedBody(c, done)
      : head.contentLength > 0
      ? lengthBody(c, head.contentLength, done)
      : untilCloseBody(c, done);
    if (body === null) c.close();
    const contentLength = head.contentLength >= 0 ? head.contentLength : null;
    return { status: head.status, headers: head.headers, body, contentLength };
  } catch (error) {
    c?.close();
    if (deadline.signal.aborted) {
      throw new UpstreamError("timeout", `Upstream ${where} did not answer the upgrade in time`);
    }
    if (error instanceof UpstreamError) throw error;
    throw new UpstreamError(
      "reset",
      `Cannot upgrade through ${where}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  } finally {
    clearTimeout(timer);
  }
}

async function connect(
  endpoint: UpstreamEndpoint,
  options: UpstreamCallOptions,
  where: string,
  signal: AbortSignal,
): Promise<Deno.TcpConn | Deno.TlsConn> {
  let tcp: Deno.TcpConn;
  try {
    tcp = await Deno.connect({ hostname: endpoint.address, port: endpoint.port, signal });
  } catch (error) {
    if (signal.aborted) throw error;
    throw new UpstreamError("connect", `Cannot connect to ${where}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  tcp.setNoDelay(true);
  return options.tls === undefined ? tcp : await startBackendTls(tcp, options.tls, where, signal);
}
