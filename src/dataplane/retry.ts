/**
 * `rules[].retry` in the data plane: a failed try is sent again, to an
 * endpoint picked afresh, when its status is one of the policy's codes, when
 * the connection failed (refused or reset: `HTTPRouteRetryConnectionError`),
 * or when the try timed out and 504 is one of the codes. Waits between tries
 * start at the policy's backoff and double, capped at
 * {@linkcode MAX_BACKOFF_MS} (or the backoff itself when larger). The rule's
 * `timeouts.request` is the budget of all tries together; each try gets the
 * rule's per-try timeout, cut to what is left of the budget. Only bodies the
 * handler buffered are sent again: a streamed body is read once.
 *
 * @example
 * ```ts
 * import { backoff } from "./retry.ts";
 * // A 100 ms backoff doubles per retry, up to 1 s:
 * console.log([0, 1, 2, 3, 4].map((attempt) => backoff(100, attempt))); // [100, 200, 400, 800, 1000]
 * ```
 * @module
 */
import type { BackendConfig, RetryConfig } from "../model/config.ts";
import type { Clock } from "../time/clock.ts";
import type { BackendPicker } from "./backend_picker.ts";
import type { DataPlaneObserver } from "./observer.ts";
import type { ProxyClient } from "./upstream_client.ts";
import {
  type UpstreamEndpoint,
  UpstreamError,
  type UpstreamRequest,
  type UpstreamResponse,
} from "./upstream_types.ts";

/** The longest wait between two tries, unless the policy's own backoff is longer. */
export const MAX_BACKOFF_MS = 1_000;
/** Largest request body buffered so that it can be sent again (64 KiB). */
export const RETRY_BODY_LIMIT = 64 * 1024;

/** What a retried exchange needs. */
export interface RetryDeps {
  upstream: ProxyClient;
  picker: BackendPicker;
  observer: DataPlaneObserver;
  clock: Clock;
}

/** The timing of one request's tries. */
export interface RetryTiming {
  policy: RetryConfig;
  /** Milliseconds a try may wait for its response head; 0: no limit. */
  perTryMs: number;
  /** Milliseconds all tries together may take (`timeouts.request`); 0: no limit. */
  overallMs: number;
}

/**
 * Sends `request` to `backend` with retries, the first try to `first`.
 * `body`: the buffered body, sent again on each try (`null`: none). `onTry`
 * hears the endpoint of each try. Resolves with the last response, or
 * rejects with the last try's {@linkcode UpstreamError}; a spent budget is a
 * `timeout`.
 */
export async function sendWithRetries(
  deps: RetryDeps,
  backend: BackendConfig,
  first: UpstreamEndpoint,
  request: UpstreamRequest,
  body: Uint8Array | null,
  timing: RetryTiming,
  onTry?: (endpoint: UpstreamEndpoint) => void,
): Promise<UpstreamResponse> {
  const { policy, perTryMs, overallMs } = timing;
  const started = deps.clock.now();
  const left = () => overallMs - (deps.clock.now() - started);
  for (let attempt = 0;; attempt++) {
    const last = attempt >= policy.attempts;
    const endpoint = attempt === 0 ? first : deps.picker.pickEndpoint(backend);
    if (endpoint === undefined) throw new UpstreamError("no_endpoints", "No ready endpoint");
    onTry?.(endpoint);
    let timeoutMs = perTryMs;
    if (overallMs > 0) {
      const remaining = left();
      if (remaining <= 0) throw new UpstreamError("timeout", "Request timeout spent on retries");
      timeoutMs = timeoutMs > 0 ? Math.min(timeoutMs, remaining) : remaining;
    }
    const tryRequest = {
      ...request,
      body: body === null ? null : new Blob([body as Uint8Array<ArrayBuffer>]).stream(),
    };
    const wait = backoff(policy.backoffMs, attempt);
    // No retry when the budget cannot cover the wait: the last answer stands.
    const noTime = () => overallMs > 0 && left() <= wait;
    try {
      const res = await deps.upstream.request(backend.protocol, endpoint, tryRequest, {
        timeoutMs,
        tls: backend.tls,
      });
      if (last || !policy.codes.includes(res.status) || noTime()) return res;
      if (res.body instanceof ReadableStream) await res.body.cancel().catch(() => {});
    } catch (error) {
      if (last || !(error instanceof UpstreamError) || !retriable(error, policy) || noTime()) {
        throw error;
      }
      deps.observer.onUpstreamError(backend.id, error.kind);
    }
    deps.observer.onUpstreamError(backend.id, "retried");
    await deps.clock.sleep(wait);
  }
}

function retriable(error: UpstreamError, policy: RetryConfig): boolean {
  if (error.kind === "connect" || error.kind === "reset") return true;
  return error.kind === "timeout" && policy.codes.includes(504);
}

/** The wait before retry `attempt + 1`: the backoff, doubled per earlier retry, capped. */
export function backoff(backoffMs: number, attempt: number): number {
  const cap = Math.max(backoffMs, MAX_BACKOFF_MS);
  return Math.min(backoffMs * 2 ** Math.min(attempt, 30), cap);
}
