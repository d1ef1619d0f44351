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

/**
 * What became of one TLS Passthrough connection: `relayed` to a backend, or
 * closed because it sent no ClientHello (`no_hello`), no route took its
 * server name (`no_route`), the pick fell on unresolvable backends
 * (`invalid_backend`), the backend had no endpoint (`no_endpoints`) or could
 * not be reached (`connect_failed`). Connections refused by a limit count as
 * `connection_rejected` client events, as on every port.
 */
export type PassthroughOutcome =
  | "relayed"
  | "no_hello"
  | "no_route"
  | "invalid_backend"
  | "no_endpoints"
  | "connect_failed";

/** One TLS Passthrough connection, once its fate is known. */
export interface PassthroughRecord {
  /** Listener id, or `none`. */
  listener: string;
  /** `<ns>/<name>` of the TLSRoute, or `none`. */
  route: string;
  outcome: PassthroughOutcome;
}

/**
 * What a client ran into before (or instead of) a proxied answer, by family,
 * each with its closed set of reasons (metric labels stay bounded):
 *
 * - `connection_rejected`: a new connection closed at once because the
 *   process's limit (`global`) or the port's (`port`) was reached; an accept
 *   that failed for want of a file descriptor (`descriptors`); a connection
 *   waiting for its first head closed to free a descriptor (`shed`); a
 *   handshake a listener validating client certificates failed
 *   (`client_certificate`: no valid certificate, or no handshake in time);
 * - `client_timeout`: a connection dropped for a head that did not come in
 *   time (`header`), a kept-alive connection idle too long (`idle`), a
 *   request body that stalled (`body`, answered 408), a request in flight
 *   past the stream deadline (`total`);
 * - `policy_rejected`: a request answered 400 by the request policy;
 * - `h2_connection_error`: an HTTP/2 connection of our own server ended with
 *   GOAWAY and this error code (RFC 9113 §7), in lower case.
 */
export interface ClientEventReasons {
  connection_rejected: "global" | "port" | "descriptors" | "shed" | "client_certificate";
  client_timeout: "header" | "idle" | "body" | "total";
  policy_rejected:
    | "underscore_header"
    | "missing_host"
    | "invalid_host"
    | "invalid_path"
    | "escaped_slash"
    | "escaped_slash_rule"
    | "get_with_body";
  h2_connection_error:
    | "protocol_error"
    | "internal_error"
    | "flow_control_error"
    | "stream_closed"
    | "frame_size_error"
    | "compression_error"
    | "enhance_your_calm";
}

/** A family of {@linkcode ClientEventReasons}. */
export type ClientEventFamily = keyof ClientEventReasons;

/** Every reason of every family, in label order (for counters printed at zero). */
export const CLIENT_EVENT_REASONS: {
  readonly [F in ClientEventFamily]: readonly ClientEventReasons[F][];
} = Object.freeze({
  connection_rejected: ["global", "port", "descriptors", "shed", "client_certificate"],
  client_timeout: ["header", "idle", "body", "total"],
  policy_rejected: [
    "underscore_header",
    "missing_host",
    "invalid_host",
    "invalid_path",
    "escaped_slash",
    "escaped_slash_rule",
    "get_with_body",
  ],
  h2_connection_error: [
    "protocol_error",
    "internal_error",
    "flow_control_error",
    "stream_closed",
    "frame_size_error",
    "compression_error",
    "enhance_your_calm",
  ],
});

/** What the data plane reports; every hook must be cheap and must not throw. */
export interface DataPlaneObserver {
  onRequest(record: RequestRecord): void;
  onUpstreamError(backend: string, kind: UpstreamErrorKind): void;
  /** A client was refused, timed out or rejected by policy (rare: not on the hot path). */
  onClientEvent<F extends ClientEventFamily>(family: F, reason: ClientEventReasons[F]): void;
  /** A TLS Passthrough connection was relayed or closed. */
  onPassthrough?(record: PassthroughRecord): void;
  /** A relayed TLS Passthrough connection ended, having carried these bytes. */
  onPassthroughBytes?(clientToBackend: number, backendToClient: number): void;
  /**
   * An upgraded (WebSocket) connection started splicing (`opened`) or ended
   * (`closed`, with why: `closed`, `idle`, `error`, `stopped`).
   */
  onUpgrade?(event: "opened" | "closed", why?: string): void;
}

/** An observer that records nothing. */
export const NOOP_OBSERVER: DataPlaneObserver = {
  onRequest() {},
  onUpstreamError() {},
  onClientEvent() {},
};
