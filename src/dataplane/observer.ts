/**
 * Hooks the data plane calls so metrics (admin) stay out of the hot path's
 * module graph. The composition root (`src/gateway.ts`) wires the prom-client
 * implementation of `admin/metrics.ts`; tests pass `NOOP_OBSERVER` or a
 * recording one.
 * @module
 */

/** One finished request. */
export interface RequestRecord {
  /** Listener id, or `none` when no listener took the host. */
  listener: string;
  /** Rule id, or `none` (404). */
  route: string;
  method: string;
  status: number;
  /** Seconds from the request's arrival to the response head. */
  durationSeconds: number;
}

/**
 * Why an upstream attempt failed. `retried`: a try that was retried (by the
 * rule's retry policy); `mirror_failed`: a mirrored copy failed;
 * `mirror_dropped`: a mirrored copy was not sent because the mirror limits
 * (concurrency, buffered body bytes) were reached.
 */
export type UpstreamErrorKind =
  | "connect"
  | "reset"
  | "timeout"
  | "protocol"
  | "no_endpoints"
  | "retried"
  | "mirror_failed"
  | "mirror_dropped";

export interface DataPlaneObserver {
  onRequest(record: RequestRecord): void;
  onUpstreamError(backend: string, kind: UpstreamErrorKind): void;
}

/** An observer that records nothing. */
export const NOOP_OBSERVER: DataPlaneObserver = {
  onRequest() {},
  onUpstreamError() {},
};
