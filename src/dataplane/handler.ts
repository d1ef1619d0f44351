/**
 * The data-plane request handler for one listener port: route, apply the
 * rule's filters, pick a backend and endpoint, forward, and answer errors
 * with a short text body. It reads the route table once per request, so a
 * request keeps the table it started with while a new one is swapped in.
 * @module
 */
import { type Logger, silentLogger } from "../log/logger.ts";
import type { RouteMatch, RouteTable } from "../router/router.ts";
import { type BackendPicker, createBackendPicker } from "./backend_picker.ts";
import { watchClientBody, type WatchedBody } from "./client_body.ts";
import { type AccessFields, logAccess, requestIdOf, timedSend } from "./access_log.ts";
import { corsPreflight, corsResponseHeaders } from "./cors.ts";
import { clientAnswer, respond, textResponse } from "./client_response.ts";
import { createDeadlineTimer, type DeadlineTimer } from "./deadline_timer.ts";
import { type DataPlaneObserver, NOOP_OBSERVER } from "./observer.ts";
import { redirectLocation } from "./redirect.ts";
import { type RulePlan, RulePlans } from "./rule_plan.ts";
import { type AddressContext, addressRequest, type RequestAddress } from "./request_address.ts";
import { bodyOrNull } from "./request_body.ts";
import {
  bodyTimedOut,
  type FailureReport,
  requestFailed,
  upstreamFailed,
} from "./request_failure.ts";
import { DEFAULT_REQUEST_POLICY, type RequestPolicy } from "./request_policy.ts";
import { createProxyClient, type ProxyClient } from "./upstream_client.ts";
import type { UpstreamRequest, UpstreamResponse } from "./upstream_types.ts";
import type { MirrorLimits } from "./request_mirror.ts";
import { UpstreamExchange } from "./upstream_exchange.ts";
import { pickUpstream, type Upstream } from "./upstream_choice.ts";
import type { FastAnswer, FieldsHandler, IncomingRequest, PendingAnswer } from "./field_headers.ts";
import { type AnswerRecorder, ProxiedAnswer } from "./proxied_answer.ts";
import { backendHeaders, mirrorHeaders, pendingHeaders, upstreamRequest } from "./proxy_request.ts";
import type { Clock } from "../time/clock.ts";
import { batchNow } from "./monotonic_clock.ts";
import { ResponseClass } from "./web_classes.ts";

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
export type DataPlaneHandler = (request: Request, info: Deno.ServeHandlerInfo) => Promise<Response>;

/** The CORS headers of a rule without a CORS filter (shared, never written to). */
const NO_CORS: readonly [string, string][] = Object.freeze([]) as readonly [string, string][];

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
  return new PortRequests(options).handle;
}

/**
 * The handler for one port and its fast path for the own HTTP/1.1 server
 * (same rules, same state): `fields` serves a request from its parsed head
 * and may answer with the backend's response as it came. It declines
 * (`undefined`) when the access log is on, whose line is written from the
 * `Request` and `Response`.
 *
 * @example
 * ```ts
 * import { createDataPlaneHandlers } from "./handler.ts";
 * import type { RouteTable } from "../router/router.ts";
 * declare const table: RouteTable;
 * const { handle, fields } = createDataPlaneHandlers({ getTable: () => table, port: 8080, scheme: "http" });
 * ```
 */
export function createDataPlaneHandlers(
  options: DataPlaneHandlerOptions,
): { handle: DataPlaneHandler; fields: FieldsHandler } {
  const port = new PortRequests(options);
  return { handle: port.handle, fields: port.fields };
}

/** The requests of one port: each step of a request is a method over the port's parts. */
class PortRequests implements AnswerRecorder<Outcome> {
  readonly #getTable: () => RouteTable | undefined;
  readonly #port: number;
  readonly #address: string | undefined;
  readonly #scheme: "http" | "https";
  readonly #observer: DataPlaneObserver;
  readonly #logger: Logger;
  readonly #picker: BackendPicker;
  readonly #plans: RulePlans;
  readonly #policy: RequestPolicy;
  readonly #bodyTimeoutMs: number;
  readonly #bodyDeadlines: DeadlineTimer;
  readonly #accessLog: boolean;
  readonly #exchange: UpstreamExchange;
  /** Whom failures are told (a pending answer's too). */
  readonly report: FailureReport;
  /** What addressing a request reads of the port: the same object for every request. */
  readonly #addressing: AddressContext;

  constructor(options: DataPlaneHandlerOptions) {
    this.#getTable = options.getTable;
    this.#port = options.port;
    this.#address = options.address;
    this.#scheme = options.scheme;
    this.#observer = options.observer ?? NOOP_OBSERVER;
    this.#logger = options.logger ?? silentLogger;
    this.#picker = options.picker ?? createBackendPicker();
    this.#plans = new RulePlans(options.requestTimeoutMs ?? 60_000);
    this.#policy = options.policy ?? DEFAULT_REQUEST_POLICY;
    this.#bodyTimeoutMs = options.clientBodyTimeoutMs ?? 0;
    this.#bodyDeadlines = createDeadlineTimer();
    this.#accessLog = this.#policy.accessLog === true;
    this.report = { logger: this.#logger, observer: this.#observer };
    this.#addressing = {
      policy: this.#policy,
      scheme: this.#scheme,
      port: this.#port,
      observer: this.#observer,
    };
    this.#exchange = new UpstreamExchange({
      upstream: options.upstream ?? createProxyClient(),
      picker: this.#picker,
      observer: this.#observer,
      logger: this.#logger,
      clock: options.clock,
      mirrorLimits: options.mirrorLimits,
    });
  }

  // Without `raw`, every answer is a `Response`, and never a pending one.
  readonly handle: DataPlaneHandler = (req, info) =>
    this.#serve(req, info, false) as Promise<Response>;

  readonly fields: FieldsHandler = (req, info) =>
    this.#accessLog ? undefined : this.#serve(req, info, true);

  // Not `async`: a proxied request is its `#proxy` call or pending answer, each
  // recording the request itself; the gateway's own answers are recorded here.
  #serve(
    req: IncomingRequest,
    info: Deno.ServeHandlerInfo,
    raw: boolean,
  ): Promise<FastAnswer> | PendingAnswer {
    const out: Outcome = {
      listener: "none",
      route: "none",
      method: req.method,
      started: batchNow(),
    };
    let res: Response | Promise<FastAnswer> | PendingAnswer;
    try {
      res = this.#route(req, info, out, raw);
    } catch (error) {
      res = requestFailed(error, out, this.report);
    }
    return res instanceof ResponseClass ? Promise.resolve(this.record(req, out, res)) : res;
  }

  #route(
    req: IncomingRequest,
    info: Deno.ServeHandlerInfo,
    out: Outcome,
    raw: boolean,
  ): Response | Promise<FastAnswer> | PendingAnswer {
    // A promise here is `#proxy`'s, and a pending answer records itself.
    const table = this.#getTable();
    if (table === undefined) return textResponse(503, "No configuration is loaded yet");
    const port = this.#port;
    const at = addressRequest(req, this.#addressing, this.#accessLog ? out : undefined);
    if (at instanceof ResponseClass) return at;
    const { host, path, query } = at;
    const headers = req.headers;
    const address = this.#address;
    const matched = table.match({ port, address, host, method: req.method, path, query, headers });
    if (at.decodedPath !== undefined) {
      // A backend that decodes `%2F` must not land on another rule's path.
      const other = table.match({
        port,
        address,
        host,
        method: req.method,
        path: at.decodedPath,
        query,
        headers,
      });
      if (other?.rule.id !== matched?.rule.id) {
        this.#observer.onClientEvent("policy_rejected", "escaped_slash_rule");
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
    return this.#forward(req, info, matched, at, out, raw);
  }

  #forward(
    req: IncomingRequest,
    info: Deno.ServeHandlerInfo,
    matched: RouteMatch,
    at: RequestAddress,
    out: Outcome,
    raw: boolean,
  ): Response | Promise<FastAnswer> | PendingAnswer {
    const plan = this.#plans.planFor(matched.rule);
    let cors: readonly [string, string][] = NO_CORS;
    if (plan.cors !== undefined) {
      const preflight = corsPreflight(plan.cors, req.method, req.headers);
      if (preflight !== undefined) return preflight;
      cors = corsResponseHeaders(plan.cors, req.headers);
    }
    if (plan.redirect !== undefined) {
      const location = redirectLocation(plan.redirect.filter, {
        scheme: this.#scheme,
        host: at.host,
        listenerPort: this.#port,
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
    const upstream = pickUpstream(this.#picker, this.#observer, matched, plan, out);
    if (upstream instanceof ResponseClass) return upstream;
    if (raw && req.body === null && (req.method === "GET" || req.method === "HEAD")) {
      return this.#pending(req, info, matched, plan, at, upstream, cors, out);
    }
    return this.#proxy(req, info, matched, plan, at, upstream, cors, out, raw);
  }

  /** The fast path's GET or HEAD without a body: as {@linkcode #proxy}, the wait left to the server. */
  #pending(
    req: IncomingRequest,
    info: Deno.ServeHandlerInfo,
    matched: RouteMatch,
    plan: RulePlan,
    at: RequestAddress,
    upstream: Upstream,
    cors: readonly [string, string][],
    out: Outcome,
  ): PendingAnswer {
    const port = this.#addressing;
    const headers = pendingHeaders(port, at, plan, info, upstream.modifiers.request);
    // Nothing was awaited since the request's start: its reading serves the deadline too.
    const request = upstreamRequest(req, info, matched, plan, at, null, headers, out.started);
    const mirrors = mirrorHeaders(port, plan, upstream, at, info, headers);
    let sent: Promise<UpstreamResponse>;
    try {
      sent = this.#send(plan, upstream, request, mirrors, out);
    } catch (error) {
      sent = Promise.reject(error);
    }
    request.fields?.own(); // The client's bytes are read into again after this call.
    return new ProxiedAnswer(sent, this, req, out, upstream, cors);
  }

  /**
   * Forwards the request and shapes the backend's answer, or the failure's;
   * records the request either way. The one `async` step of a proxied
   * request in the handler.
   */
  async #proxy(
    req: IncomingRequest,
    info: Deno.ServeHandlerInfo,
    matched: RouteMatch,
    plan: RulePlan,
    at: RequestAddress,
    upstream: Upstream,
    cors: readonly [string, string][],
    out: Outcome,
    raw: boolean,
  ): Promise<FastAnswer> {
    const { backend, modifiers } = upstream;
    let answer: FastAnswer;
    let watched: WatchedBody | undefined;
    try {
      const upstreamHeaders = backendHeaders(this.#addressing, at, plan, info, modifiers.request);
      if (this.#accessLog) this.#noteRequestId(req, out, upstreamHeaders);
      let body: ReadableStream<Uint8Array> | null = req.body;
      if (body !== null && this.#bodyTimeoutMs > 0) {
        watched = watchClientBody(body, this.#bodyTimeoutMs, this.#bodyDeadlines);
        body = watched.body;
      }
      try {
        const client = at.client;
        if (body !== null && client.contentLength === null && !client.transferEncoding) {
          body = await bodyOrNull(body);
        }
        const request = upstreamRequest(req, info, matched, plan, at, body, upstreamHeaders);
        const mirrors = mirrorHeaders(this.#addressing, plan, upstream, at, info, upstreamHeaders);
        const res = await this.#send(plan, upstream, request, mirrors, out);
        answer = clientAnswer(res, raw, modifiers.response, cors);
      } catch (error) {
        if (watched?.timedOut()) {
          this.#logger.debug("request body stalled", {
            backend: backend.id,
            timeoutMs: this.#bodyTimeoutMs,
          });
          answer = bodyTimedOut(this.report);
        } else answer = upstreamFailed(error, backend.id, upstream.endpoint, this.report);
      }
    } catch (error) {
      answer = requestFailed(error, out, this.report);
    }
    return this.record(req, out, answer);
  }

  /** The request id of the access log line, added to the backend's headers when generated. */
  #noteRequestId(req: IncomingRequest, out: Outcome, upstreamHeaders: string[]): void {
    const id = requestIdOf(req.headers);
    out.requestId = id.id;
    // An oversized client id is forwarded as sent; only the log line gets the new one.
    if (id.generated && req.headers.get("x-request-id") === null) {
      upstreamHeaders.push("x-request-id", id.id);
    }
  }

  /** Sends `request` through the exchange, noting timings and bytes for the access log. */
  #send(
    plan: RulePlan,
    upstream: Upstream,
    request: UpstreamRequest,
    mirrorHeaders: () => string[],
    out: Outcome,
  ): Promise<UpstreamResponse> {
    const { backend, endpoint } = upstream;
    const exchange = this.#exchange;
    // Without the log, the exchange's own promise: no async frame of its own.
    if (!this.#accessLog) return exchange.send(plan, backend, endpoint, request, mirrorHeaders);
    return timedSend(
      out,
      (onTry) => exchange.send(plan, backend, endpoint, request, mirrorHeaders, onTry),
    );
  }

  /** Records the request (metrics, access log); gives back its answer. */
  record(req: IncomingRequest, out: Outcome, res: FastAnswer): FastAnswer {
    this.#observer.onRequest({
      listener: out.listener,
      route: out.route,
      method: req.method,
      status: res.status,
      durationSeconds: (batchNow() - out.started) / 1000,
    });
    // With the log on, only `handle` serves: a `Request` in, a `Response` out.
    return this.#accessLog ? logAccess(this.#logger, req as Request, out, res as Response) : res;
  }
}
