/**
 * The contract between the request handler and the upstream clients (the
 * pooled HTTP/1.1 client and the h2c client): one request in, one response
 * head out, bodies streamed both ways, failures as {@linkcode UpstreamError}.
 * @module
 */
import type { BackendTlsConfig } from "../model/config.ts";
import type { ClientGone } from "./client_gone.ts";
import type { UpstreamErrorKind } from "./observer.ts";

/** Where to send a request. */
export interface UpstreamEndpoint {
  address: string;
  port: number;
}

/** A request to forward, already filtered by the handler. */
export interface UpstreamRequest {
  method: string;
  /** Request-target (origin-form path and query), sent as is. */
  target: string;
  /**
   * Header names and values, flattened (`[name0, value0, name1, value1, …]`),
   * hop-by-hop headers already removed, `Host` included. The client adds the
   * framing headers (`Content-Length` / `Transfer-Encoding`).
   */
  headers: string[];
  /**
   * The same fields as `headers`, to be written from the client's bytes
   * (`forwarded_fields.ts`): the HTTP/1.1 client writes these instead, and
   * `headers` is made of them only when read. Absent: `headers` is all.
   */
  fields?: FieldLines;
  /** Request body, streamed; `null` when the request has none. */
  body: ReadableStream<Uint8Array> | null;
  /** Body length from the client's `Content-Length`; `null`: unknown (chunked). */
  contentLength: number | null;
  /**
   * The server the request came in on sends response trailers to its
   * client (it said `TE: trailers`). Then an HTTP/1.1 backend is told so
   * with `TE: trailers` (RFC 9110 §10.1.4) and every trailer section it
   * sends is read, announced with `Trailer` or not. Absent: no `TE` is
   * sent and only announced trailers are read.
   */
  acceptsTrailers?: boolean;
  /**
   * The client of the request: when it goes away, the call ends what it
   * holds (an HTTP/1.1 connection is closed, an HTTP/2 stream reset) and
   * fails with `ClientGoneError`. Absent: the call runs to its end.
   */
  client?: ClientGone;
  /**
   * Whoever gets the response copies a small body's bytes out in the turn
   * of the event loop the response came in (our HTTP/1.1 server, into its
   * answer): the body may then be a view of the connection's read buffer,
   * valid until then, instead of a copy. Absent: the body is the caller's.
   */
  takesBodyAtOnce?: boolean;
  /**
   * `batchNow()` (`monotonic_clock.ts`) just before this call was made (the handler's
   * reading of the request's start): the response-head deadline counts
   * from it instead of reading the clock again. Absent: the client reads it.
   */
  startedAt?: number;
}

/**
 * Header field lines a backend's head is written with, as bytes
 * (`forwarded_fields.ts`: the client's lines copied from the bytes it sent).
 */
export interface FieldLines {
  /** Bytes of every line (`name: value\r\n`). */
  byteLength(): number;
  /** Writes every line at `at` of `out`; the next position. */
  writeInto(out: Uint8Array, at: number): number;
  /** Keeps what a later write needs once the client's bytes are read into again. */
  own(): void;
  /** The same fields as strings, flattened `[name, value, …]`. */
  pairs(): string[];
}

/** The response head, and the body as bytes (small, already read) or a stream. */
export interface UpstreamResponse {
  status: number;
  /** Lower-case names, hop-by-hop headers and framing headers removed. */
  headers: [string, string][];
  body: Uint8Array | ReadableStream<Uint8Array> | null;
  /** Upstream `Content-Length` of a streamed body, to forward as is; `null`: unknown. */
  contentLength: number | null;
  /** Trailers, settled when the body ends; absent: the client does not read them. */
  trailers?: Promise<[string, string][]>;
  /**
   * The header fields as the backend sent them, as places in the
   * connection's read buffer: set only beside a lent body
   * (`UpstreamRequest.takesBodyAtOnce`), and valid as long as it is, so our
   * HTTP/1.1 server copies the field lines into its answer without a
   * string. `headers` says the same fields.
   */
  lines?: ResponseLines;
}

/** A response's kept header fields as places in the bytes it was read from. */
export interface ResponseLines {
  readonly buf: Uint8Array;
  /**
   * Four numbers a field, in the backend's order: where its name starts,
   * where it ends (the colon), where its value starts and ends (without
   * the whitespace around it).
   */
  readonly places: readonly number[];
  /** Whether a `Date` field is among them. */
  readonly date: boolean;
  /**
   * The same fields as `name: value\r\n` lines, names lower-cased and
   * values as sent (the bytes our HTTP/1.1 server writes of them), when
   * they were made before for a head with the same bytes; else `undefined`.
   */
  rememberedLines(): Uint8Array | undefined;
}

/** Per-request limits. */
export interface UpstreamCallOptions {
  /** Milliseconds until the response head must have arrived; 0: none. */
  timeoutMs: number;
  /** TLS to the endpoint (a BackendTLSPolicy); absent: cleartext. */
  tls?: BackendTlsConfig;
}

/** A client for one protocol. */
export interface UpstreamClient {
  request(
    endpoint: UpstreamEndpoint,
    request: UpstreamRequest,
    options: UpstreamCallOptions,
  ): Promise<UpstreamResponse>;
  /** Closes idle connections and stops timers; in-flight exchanges finish. */
  close(): void;
}

/**
 * A failed upstream exchange. `kind` says which status the client gets:
 * `timeout` → 504, everything else → 502.
 */
export class UpstreamError extends Error {
  readonly kind: UpstreamErrorKind;
  constructor(kind: UpstreamErrorKind, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "UpstreamError";
    this.kind = kind;
  }
}
