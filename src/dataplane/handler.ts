/**
 * The data-plane request handler for one listener port: route, apply the
 * rule's filters, pick a backend and endpoint, forward, and answer errors
 * with a short text body. It reads the route table once per request, so a
 * request keeps the table it started with while a new one is swapped in.
 * @module
 */
import type { Logger } from "../log/logger.ts";
import { silentLogger } from "../log/logger.ts";
import { hostFromAuthority } from "../router/host.ts";
import type { RouteMatch, RouteTable } from "../router/router.ts";
import { type BackendPicker, createBackendPicker } from "./backend_picker.ts";
import { watchClientBody, type WatchedBody } from "./client_body.ts";
import { type AccessFields, logAccess, requestIdOf } from "./access_log.ts";
import { corsPreflight, corsResponseHeaders } from "./cors.ts";
import { respond } from "./client_response.ts";
import { createDeadlineTimer } from "./deadline_timer.ts";
import { type ClientHeaders, forwardRequestHeaders, readClientHeaders } from "./forward_headers.ts";
import { type DataPlaneObserver, NOOP_OBSERVER } from "./observer.ts";
import { modifyPath } from "./path_modifier.ts";
import { decidePath } from "./path_policy.ts";
import { redirectLocation } from "./redirect.ts";
import { RulePlans } from "./rule_plan.ts";
import { bodyOrNull, ClientBodyError } from "./request_body.ts";
import { DEFAULT_REQUEST_POLICY, type RequestPolicy } from "./request_policy.ts";
import { splitRequestUrl } from "./request_target.ts";
import { createProxyClient, type ProxyClient } from "./upstream_client.ts";
import { UpstreamError, type UpstreamRequest } from "./upstream_types.ts";
import type { MirrorLimits } from "./request_mirror.ts";
import { UpstreamExchange } from "./upstream_exchange.ts";
import type { Clock } from "../time/clock.ts";

/** Options of {@linkcode createDataPlaneHandler}. */
export interface DataPlaneHandlerOptions {
  /** The current table; `undefined` until the first one is built (503). */
  getTable: () => RouteTable | undefined;
  /** The listener port this handler serves. */
  port: number;
  /** The pool address of the port (`PortConfig.address`); absent: the shared port. */
  address?: string;
  scheme: "http" | "https";
  observer?: DataPlaneObserver;
  logger?: Logger;
  /** Shared upstream client; the caller owns (and closes) it. Default: a new one. */
  upstream?: ProxyClient;
  /** Shared backend picker, so all ports rotate together. Default: a new one. */
  picker?: BackendPicker;
  /** Milliseconds until a backend's response head, unless the rule sets one (default 60 000; 0: none). */
  requestTimeoutMs?: number;
  /** Underscore headers, `X-Forwarded-For` trust, escaped slashes (default: safe). */
  policy?: RequestPolicy;
  /**
   * Longest wait for more request-body bytes before answering 408
   * (`--client-body-timeout`); 0 or absent: no limit.
   */
  clientBodyTimeoutMs?: number;
  /** Bounds on RequestMirror copies (default `DEFAULT_MIRROR_LIMITS`). */
  mirrorLimits?: MirrorLimits;
  /** Time for retry backoffs (default: the system clock). */
  clock?: Clock;
}

/** A `Deno.serve` handler. */
export type DataPlaneHandler = (
  request: Request,
  info: Deno.ServeHandlerInfo,
) => Promise<Response>;

const TEXT = { "content-type": "text/plain; charset=utf-8" };

function textResponse(status: number, body: string): Response {
  return new Response(body + "\n", { status, headers: TEXT });
}

/** Per-request labels for the observer. */
interface Outcome extends AccessFields {
  /** The backend chosen, once one is. */
  backend?: string;
}

/**
 * Creates the handler for one port.
 *
 * @example
 * ```ts
 * import { createDataPlaneHandler } from "./handler.ts";
 * import type { RouteTable } from "../router/router.ts";
 * declare const table: RouteTable;
 * const handler = createDataPlaneHandler({ getTable: () => table, port: 8080, scheme: "http" });
 * Deno.serve({ port: 8080 }, handler);
 * ```
 */
export function createDataPlaneHandler(options: DataPlaneHandlerOptions): DataPlaneHandler {
  const { getTable, port, address, scheme } = options;
  const observer = options.observer ?? NOOP_OBSERVER;
  const logger = options.logger ?? silentLogger;
  const upstream = options.upstream ?? createProxyClient();
  const picker = options.picker ?? createBackendPicker();
  const plans = new RulePlans(options.requestTimeoutMs ?? 60_000);
  const policy = options.policy ?? DEFAULT_REQUEST_POLICY;
  const bodyTimeoutMs = options.clientBodyTimeoutMs ?? 0;
  const bodyDeadlines = createDeadlineTimer();
  const accessLog = policy.accessLog === true;
  const exchange = new UpstreamExchange({
    upstream,
    picker,
    observer,
    logger,
    clock: options.clock,
    mirrorLimits: options.mirrorLimits,
  });

  function route(
    req: Request,
    info: Deno.ServeHandlerInfo,
    out: Outcome,
  ): Response | Promise<Response> {
    const table = getTable();
    if (table === undefined) return textResponse(503, "No configuration is loaded yet");
    const headers = req.headers;
    const client = readClientHeaders(headers, policy.underscoreHeaders);
    if (client.underscore && policy.underscoreHeaders === "reject") {
      return textResponse(400, "Bad request: header names with underscores are refused");
    }
    const hostHeader = client.host;
    const { authority, target } = splitRequestUrl(req.url, hostHeader);
    if (accessLog) {
      // The path without its query, which may carry tokens.
      out.authority = hostHeader || authority;
      const q = target.indexOf("?");
      out.path = q === -1 ? target : target.slice(0, q);
    }
    if (hostHeader === null && scheme === "http" && authority === `localhost:${port}`) {
      // What the HTTP/1 engine puts in the URL when the request had no Host
      // (RFC 9112 §3.2: answer 400). HTTP/2 carries `:authority` instead.
      return textResponse(400, "Bad request: the Host header is required");
    }
    const host = hostFromAuthority(hostHeader || authority);
    if (host === null) return textResponse(400, "Bad request: invalid Host header");
    const q = target.indexOf("?");
    const rawPath = q === -1 ? target : target.slice(0, q);
    const query = q === -1 ? "" : target.slice(q + 1);
    const decision = decidePath(rawPath, policy.escapedSlashes);
    if (decision.action === "reject") return textResponse(400, `Bad request: ${decision.reason}`);
    const path = decision.path;
    if (decision.action === "redirect") {
      const location = q === -1 ? path : path + target.slice(q);
      return new Response(null, { status: 307, headers: { location } });
    }
    const forwardTarget = q === -1 ? decision.forward : decision.forward + target.slice(q);

    const matched = table.match({ port, address, host, method: req.method, path, query, headers });
    if (decision.decoded !== undefined) {
      // A backend that decodes `%2F` must not land on another rule's path.
      const other = table.match({
        port,
        address,
        host,
        method: req.method,
        path: decision.decoded,
        query,
        headers,
      });
      if (other?.rule.id !== matched?.rule.id) {
        return textResponse(400, "Bad request: an escaped slash would select another rule");
      }
    }
    if (matched === undefined) {
      out.listener = table.listenerFor(port, host, address)?.id ?? "none";
      return textResponse(404, `No route for ${host}${path}`);
    }
    out.listener = matched.listener.id;
    out.route = matched.rule.id;
    // The backend gets the path the rule matched, never the client's spelling.
    return forward(req, info, matched, client, out, {
      host,
      path,
      query,
      target: forwardTarget,
      authority: hostHeader || authority,
    });
  }

  async function forward(
    req: Request,
    info: Deno.ServeHandlerInfo,
    matched: RouteMatch,
    client: ClientHeaders,
    out: Outcome,
    at: { host: string; path: string; query: string; target: string; authority: string },
  ): Promise<Response> {
    const rule = matched.rule;
    const plan = plans.planFor(rule);
    let cors: [string, string][] = [];
    if (plan.cors !== undefined) {
      const preflight = corsPreflight(plan.cors, req.method, req.headers);
      if (preflight !== undefined) return preflight;
      cors = corsResponseHeaders(plan.cors, req.headers);
    }
    if (plan.redirect !== undefined) {
      const location = redirectLocation(plan.redirect.filter, {
        scheme,
        host: at.host,
        listenerPort: port,
        path: at.path,
        query: at.query,
        match: matched.match,
      });
      return respond(
        plan.redirect.filter.statusCode,
        [["location", location]],
        null,
        plan.redirect.responseModifiers,
        null,
        cors,
      );
    }
    const upstreamHost = plan.rewriteHost ?? at.authority;
    let target = at.target;
    if (plan.rewritePath !== undefined) {
      // The rewrite works on the normalised path (what the rule matched).
      // The query string, an empty one (`/x?`) included, is kept as sent.
      const rewritten = modifyPath(at.path, matched.match, plan.rewritePath);
      const q = at.target.indexOf("?");
      target = q === -1 ? rewritten : rewritten + at.target.slice(q);
    }

    const backend = picker.pickBackend(rule);
    if (backend === undefined) return textResponse(500, "No backend is configured for this route");
    if (backend === "invalid") {
      return textResponse(500, "The selected backend of this route is invalid");
    }
    out.backend = backend.id;
    const endpoint = picker.pickEndpoint(backend);
    if (endpoint === undefined) {
      observer.onUpstreamError(backend.id, "no_endpoints");
      return textResponse(503, `No ready endpoint for backend ${backend.id}`);
    }
    const modifiers = plan.modifiersFor(backend);

    const contentLengthHeader = client.contentLength;
    const contentLength = contentLengthHeader === null ? null : Number(contentLengthHeader);
    const upstreamHeaders = forwardRequestHeaders({
      client,
      modifiers: modifiers.request,
      xffTrustedHops: policy.xffTrustedHops,
      host: upstreamHost,
      clientIp: (info.remoteAddr as Deno.NetAddr).hostname ?? "",
      scheme,
      forwardedHost: at.authority,
    });
    if (accessLog) {
      const id = requestIdOf(req.headers);
      out.requestId = id.id;
      // An oversized client id is forwarded as sent; only the log line gets the new one.
      if (id.generated && !req.headers.has("x-request-id")) {
        upstreamHeaders.push("x-request-id", id.id);
      }
    }
    let body: ReadableStream<Uint8Array> | null = req.body;
    let watched: WatchedBody | undefined;
    if (body !== null && bodyTimeoutMs > 0) {
      watched = watchClientBody(body, bodyTimeoutMs, bodyDeadlines);
      body = watched.body;
    }
    try {
      if (body !== null && contentLengthHeader === null && !client.transferEncoding) {
        body = await bodyOrNull(body);
      }
      const request: UpstreamRequest = {
        method: req.method,
        target,
        headers: upstreamHeaders,
        body,
        contentLength: Number.isSafeInteger(contentLength) ? contentLength : null,
      };
      // Mirrored copies get the rule's header changes, not the chosen backend's own.
      const mirrorHeaders = () =>
        backend.filters.length === 0 ? upstreamHeaders : forwardRequestHeaders({
          client,
          modifiers: plan.modifiersFor({ ...backend, filters: [] }).request,
          xffTrustedHops: policy.xffTrustedHops,
          host: upstreamHost,
          clientIp: (info.remoteAddr as Deno.NetAddr).hostname ?? "",
          scheme,
          forwardedHost: at.authority,
        });
      const sent = accessLog ? performance.now() : 0;
      const onTry = accessLog
        ? (e: { address: string; port: number }) => out.upstream = `${e.address}:${e.port}`
        : undefined;
      const res = await exchange.send(plan, backend, endpoint, request, mirrorHeaders, onTry);
      if (accessLog) {
        out.upstreamMs = performance.now() - sent;
        out.bytesOut = res.body instanceof Uint8Array
          ? res.body.byteLength
          : res.contentLength ?? undefined;
      }
      return respond(
        res.status,
        res.headers,
        res.body as BodyInit | null,
        modifiers.response,
        res.contentLength,
        cors,
      );
    } catch (error) {
      if (watched?.timedOut()) {
        logger.debug("request body stalled", { backend: backend.id, timeoutMs: bodyTimeoutMs });
        // The rest of the body never came; the connection cannot be reused.
        return new Response("Request body timed out\n", {
          status: 408,
          headers: { ...TEXT, connection: "close" },
        });
      }
      if (!(error instanceof UpstreamError)) throw error;
      observer.onUpstreamError(backend.id, error.kind);
      logger.warn("upstream request failed", {
        backend: backend.id,
        endpoint: `${endpoint.address}:${endpoint.port}`,
        kind: error.kind,
        error: error.message,
      });
      return error.kind === "timeout"
        ? textResponse(504, `Upstream ${backend.id} timed out`)
        : textResponse(502, `Upstream ${backend.id} failed: ${error.kind}`);
    }
  }

  function failed(error: unknown, out: Outcome): Response {
    if (error instanceof ClientBodyError) {
      // The client's doing (it went away mid-upload): no 5xx, no error log.
      // 499 is the status nginx logs for a client that closed the request.
      logger.debug("client request body failed", { route: out.route, error: error.message });
      return textResponse(499, "Client closed the request");
    }
    if (error instanceof UpstreamError) {
      // Labelled by backend, like every upstream error: a rule id here would
      // be dropped as an unknown backend at the next table swap.
      observer.onUpstreamError(out.backend ?? "none", error.kind);
      return textResponse(502, "Upstream response could not be forwarded");
    }
    logger.error("request handling failed", { error, route: out.route });
    return textResponse(500, "Internal error");
  }

  function record(req: Request, out: Outcome, res: Response): Response {
    observer.onRequest({
      listener: out.listener,
      route: out.route,
      method: req.method,
      status: res.status,
      durationSeconds: (performance.now() - out.started) / 1000,
    });
    return accessLog ? logAccess(logger, req, out, res) : res;
  }

  // Not `async`: one promise (the upstream exchange's) per request instead of
  // one per nested async function.
  return (req, info) => {
    const out: Outcome = {
      listener: "none",
      route: "none",
      method: req.method,
      started: performance.now(),
    };
    let res: Response | Promise<Response>;
    try {
      res = route(req, info, out);
    } catch (error) {
      res = failed(error, out);
    }
    if (res instanceof Response) return Promise.resolve(record(req, out, res));
    return res.then(
      (ok) => record(req, out, ok),
      (error) => record(req, out, failed(error, out)),
    );
  };
}
