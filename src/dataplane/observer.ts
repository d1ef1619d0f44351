/**
 * Hooks the data plane calls so metrics (admin) stay out of the hot path's
 * module graph. `main.ts` wires a prom-client implementation; tests pass
 * `NOOP_OBSERVER` or a recording one.
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

/** Why an upstream attempt failed. */
export type UpstreamErrorKind = "connect" | "reset" | "timeout" | "protocol" | "no_endpoints";

export interface DataPlaneObserver {
  onRequest(record: RequestRecord): void;
  onUpstreamError(backend: string, kind: UpstreamErrorKind): void;
}

/** An observer that records nothing. */
export const NOOP_OBSERVER: DataPlaneObserver = {
  onRequest() {},
  onUpstreamError() {},
};
