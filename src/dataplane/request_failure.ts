/**
 * The answers to requests that failed: the client's doing (499, 408), the
 * backend's (502, 504) or ours (500), each counted and logged at the level
 * its cause deserves.
 * @module
 */
import type { Logger } from "../log/logger.ts";
import { TEXT_HEADERS, textResponse } from "./client_response.ts";
import type { DataPlaneObserver } from "./observer.ts";
import { ClientGoneError } from "./client_gone.ts";
import { ClientBodyError } from "./request_body.ts";
import { type UpstreamEndpoint, UpstreamError } from "./upstream_types.ts";

/** Where failures are told. */
export interface FailureReport {
  readonly logger: Logger;
  readonly observer: DataPlaneObserver;
}

/** The answer to a request whose body stalled past the client body timeout (counted). */
export function bodyTimedOut(report: FailureReport): Response {
  report.observer.onClientEvent("client_timeout", "body");
  // The rest of the body never came; the connection cannot be reused.
  return new Response("Request body timed out\n", {
    status: 408,
    headers: { ...TEXT_HEADERS, connection: "close" },
  });
}

/**
 * The answer to a request the backend failed: 504 on a timeout, else 502.
 * Anything but an {@linkcode UpstreamError} is rethrown.
 */
export function upstreamFailed(
  error: unknown,
  backendId: string,
  endpoint: UpstreamEndpoint,
  report: FailureReport,
): Response {
  if (!(error instanceof UpstreamError)) throw error;
  report.observer.onUpstreamError(backendId, error.kind);
  report.logger.warn("upstream request failed", {
    backend: backendId,
    endpoint: `${endpoint.address}:${endpoint.port}`,
    kind: error.kind,
    error: error.message,
  });
  return error.kind === "timeout"
    ? textResponse(504, `Upstream ${backendId} timed out`)
    : textResponse(502, `Upstream ${backendId} failed: ${error.kind}`);
}

/**
 * The answer to a request whose handling threw `error`: 499, 502 or 500.
 * `out` names the rule and the backend chosen so far.
 */
export function requestFailed(
  error: unknown,
  out: { readonly route: string; readonly backend?: string },
  report: FailureReport,
): Response {
  if (error instanceof ClientBodyError) {
    // The client's doing (it went away mid-upload, or before the answer): no
    // 5xx, no error log, no upstream error. 499 is the status nginx logs for
    // a client that closed the request; nobody reads this answer.
    const message = error instanceof ClientGoneError
      ? "client went away before the answer"
      : "client request body failed";
    report.logger.debug(message, { route: out.route, error: error.message });
    return textResponse(499, "Client closed the request");
  }
  if (error instanceof UpstreamError) {
    // Labelled by backend, like every upstream error: a rule id here would
    // be dropped as an unknown backend at the next table swap.
    report.observer.onUpstreamError(out.backend ?? "none", error.kind);
    return textResponse(502, "Upstream response could not be forwarded");
  }
  report.logger.error("request handling failed", { error, route: out.route });
  return textResponse(500, "Internal error");
}
