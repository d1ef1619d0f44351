/**
 * One request's exchange with its backend, with the rule's extended
 * behaviour around the plain upstream call: request mirrors started beside
 * it, and retries (with the small body buffered so it can be sent again).
 * A rule with neither is one upstream call, as before.
 *
 * @example
 * ```ts
 * import { UpstreamExchange } from "./upstream_exchange.ts";
 * import { createBackendPicker } from "./backend_picker.ts";
 * import { NOOP_OBSERVER } from "./observer.ts";
 * import { createProxyClient } from "./upstream_client.ts";
 * import { silentLogger } from "../log/logger.ts";
 * const upstream = createProxyClient();
 * const exchange = new UpstreamExchange({
 *   upstream,
 *   picker: createBackendPicker(),
 *   observer: NOOP_OBSERVER,
 *   logger: silentLogger,
 * });
 * console.log(exchange instanceof UpstreamExchange); // one per handler, built once
 * upstream.close();
 * ```
 * @module
 */
import type { Logger } from "../log/logger.ts";
import type { BackendConfig } from "../model/config.ts";
import { type Clock, systemClock } from "../time/clock.ts";
import type { BackendPicker } from "./backend_picker.ts";
import type { DataPlaneObserver } from "./observer.ts";
import { ClientBodyError } from "./request_body.ts";
import { type MirrorLimits, RequestMirrors } from "./request_mirror.ts";
import { RETRY_BODY_LIMIT, type RetryDeps, sendWithRetries } from "./retry.ts";
import type { RulePlan } from "./rule_plan.ts";
import type { ProxyClient } from "./upstream_client.ts";
import type { UpstreamEndpoint, UpstreamRequest, UpstreamResponse } from "./upstream_types.ts";

/** Longest a mirrored copy may wait for its response head when the rule sets no timeout. */
const MIRROR_TIMEOUT_MS = 60_000;

/** What {@linkcode UpstreamExchange} needs. */
export interface UpstreamExchangeDeps {
  upstream: ProxyClient;
  picker: BackendPicker;
  observer: DataPlaneObserver;
  logger: Logger;
  /** Time for retry backoffs (default: the system clock). */
  clock?: Clock;
  mirrorLimits?: MirrorLimits;
}

/** Sends requests for one handler: mirrors, retries, or one plain call. */
export class UpstreamExchange {
  readonly #upstream: ProxyClient;
  readonly #retry: RetryDeps;
  readonly #mirrors: RequestMirrors;

  constructor(deps: UpstreamExchangeDeps) {
    this.#upstream = deps.upstream;
    this.#retry = { ...deps, clock: deps.clock ?? systemClock };
    this.#mirrors = new RequestMirrors({ ...deps, limits: deps.mirrorLimits });
  }

  /**
   * Sends `request` to `backend` (first try at `endpoint`). `mirrorHeaders`
   * gives the headers a mirrored copy carries (the rule's header changes
   * without the chosen backend's own); it is called only when a copy is sent.
   * `onTry` hears the endpoint of each try (retries pick a new one).
   */
  send(
    plan: RulePlan,
    backend: BackendConfig,
    endpoint: UpstreamEndpoint,
    request: UpstreamRequest,
    mirrorHeaders: () => string[],
    onTry?: (endpoint: UpstreamEndpoint) => void,
  ): Promise<UpstreamResponse> {
    if (plan.retry === undefined && plan.mirrors.length === 0) {
      // The common rule: one upstream call, its promise returned as it is.
      onTry?.(endpoint);
      return this.#call(plan, backend, endpoint, request);
    }
    return this.#sendExtended(plan, backend, endpoint, request, mirrorHeaders, onTry);
  }

  async #sendExtended(
    plan: RulePlan,
    backend: BackendConfig,
    endpoint: UpstreamEndpoint,
    request: UpstreamRequest,
    mirrorHeaders: () => string[],
    onTry?: (endpoint: UpstreamEndpoint) => void,
  ): Promise<UpstreamResponse> {
    // A body is sent again on a retry only if it was buffered, and only small ones are.
    let buffered: Uint8Array<ArrayBuffer> | null | undefined;
    if (
      plan.retry !== undefined &&
      (request.body === null || (request.contentLength ?? Infinity) <= RETRY_BODY_LIMIT)
    ) {
      buffered = request.body === null ? null : await readBody(request.body);
      request.body = buffered === null ? null : new Blob([buffered]).stream();
    }
    if (plan.mirrors.length > 0) {
      const chosen = this.#mirrors.choose(plan.mirrors);
      if (chosen.length > 0) {
        const timeoutMs = plan.timeoutMs > 0 ? plan.timeoutMs : MIRROR_TIMEOUT_MS;
        // A copy is the mirror's own: its client leaving does not cancel it.
        const copy = { ...request, headers: mirrorHeaders(), client: undefined };
        request.body = this.#mirrors.start(chosen, copy, timeoutMs);
      }
    }
    if (plan.retry !== undefined && buffered !== undefined) {
      return await sendWithRetries(
        this.#retry,
        backend,
        endpoint,
        request,
        buffered,
        plan.retry,
        onTry,
      );
    }
    onTry?.(endpoint);
    return await this.#call(plan, backend, endpoint, request);
  }

  #call(
    plan: RulePlan,
    backend: BackendConfig,
    endpoint: UpstreamEndpoint,
    request: UpstreamRequest,
  ): Promise<UpstreamResponse> {
    return this.#upstream.request(backend.protocol, endpoint, request, {
      timeoutMs: plan.timeoutMs,
      tls: backend.tls,
    });
  }
}

async function readBody(body: ReadableStream<Uint8Array>): Promise<Uint8Array<ArrayBuffer>> {
  try {
    return new Uint8Array(await new Response(body).arrayBuffer());
  } catch (error) {
    throw new ClientBodyError(`Cannot read request body: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
