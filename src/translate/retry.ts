/**
 * `rules[].retry` → {@linkcode RetryConfig}, with bounded defaults: the spec
 * leaves the number of attempts and the backoff to the implementation when
 * they are unset, and an unbounded number of attempts would let one route
 * multiply its backend's load.
 * @module
 */
import type { HTTPRouteRetry } from "../resources/http_route_types.ts";
import { parseGatewayDuration } from "../resources/duration.ts";
import type { RetryConfig } from "../model/config.ts";
import { Reason } from "./conditions.ts";
import type { RuleError } from "./matches.ts";

/** Retries when `attempts` is unset. */
export const DEFAULT_RETRY_ATTEMPTS = 1;
/** The most retries one request gets, whatever `attempts` says. */
export const MAX_RETRY_ATTEMPTS = 10;
/** Wait before the first retry when `backoff` is unset, in milliseconds. */
export const DEFAULT_RETRY_BACKOFF_MS = 25;

/**
 * Compiles a retry policy. An `attempts` above {@linkcode MAX_RETRY_ATTEMPTS}
 * is an `UnsupportedValue` error, so the cap is never applied silently.
 *
 * @example
 * ```ts
 * import { compileRetry } from "./retry.ts";
 * compileRetry({ codes: [503], attempts: 2 }, "spec.rules[0].retry");
 * // { ok: true, retry: { codes: [503], attempts: 2, backoffMs: 25 } }
 * ```
 */
export function compileRetry(
  retry: HTTPRouteRetry,
  field: string,
): { ok: true; retry: RetryConfig } | { ok: false; error: RuleError } {
  const attempts = retry.attempts ?? DEFAULT_RETRY_ATTEMPTS;
  if (attempts > MAX_RETRY_ATTEMPTS) {
    return {
      ok: false,
      error: {
        reason: Reason.UnsupportedValue,
        field: `${field}.attempts`,
        message:
          `Cannot retry ${attempts} times: this gateway retries at most ${MAX_RETRY_ATTEMPTS} times`,
      },
    };
  }
  let backoffMs = DEFAULT_RETRY_BACKOFF_MS;
  if (retry.backoff !== undefined) {
    const parsed = parseGatewayDuration(retry.backoff);
    if (!parsed.ok) {
      return {
        ok: false,
        error: {
          reason: Reason.UnsupportedValue,
          field: `${field}.backoff`,
          message: parsed.error,
        },
      };
    }
    backoffMs = parsed.ms;
  }
  const codes = [...new Set(retry.codes ?? [])].sort((a, b) => a - b);
  return { ok: true, retry: { codes, attempts, backoffMs } };
}
