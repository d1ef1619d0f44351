/**
 * Trailers that travel beside a `Response`. A `Response` has no trailers,
 * and Deno 2.9.6's HTTP engine cannot send any (`Deno[Deno.internal].addTrailers`
 * reads an `external` that no code path of `ext/http/00_serve.ts` sets, and
 * throws `TypeError: expected external`). gRPC puts its status in trailers,
 * so the gRPC upstream client hands them over here, keyed by the client
 * response, and the HTTP/2 server that can send them (`h2/h2_server.ts`)
 * picks them up once the body has ended.
 *
 * Whether a request's response trailers reach its client is the server's to
 * say, through the `info` it hands the handler ({@linkcode deliversTrailers}):
 * our HTTP/2 server always (HTTP/2 trailers need no `TE`), our HTTP/1.1
 * server when the client sent `TE: trailers` (then a chunked answer ends with
 * the trailer section), Deno's engine never.
 *
 * @example
 * ```ts
 * import { attachTrailers, trailersOf } from "./response_trailers.ts";
 * const res = attachTrailers(new Response("x"), Promise.resolve([["grpc-status", "0"]]));
 * await trailersOf(res); // [["grpc-status", "0"]]
 * ```
 * @module
 */

/** Trailer names (lower case) and values. */
export type Trailers = [string, string][];

const pending = new WeakMap<Response, Promise<Trailers>>();

/** Records `trailers` for `response` (when given) and returns `response`. */
export function attachTrailers(
  response: Response,
  trailers: Promise<Trailers> | undefined,
): Response {
  if (trailers !== undefined) pending.set(response, trailers);
  return response;
}

/** The trailers recorded for `response`, or `undefined` when it has none. */
export function trailersOf(response: Response): Promise<Trailers> | undefined {
  return pending.get(response);
}

/** A server's `info` that says whether the response's trailers reach the client. */
export interface TrailerDelivery {
  /** True: the server sends the response trailers of this request to its client. */
  readonly trailers?: boolean;
}

/**
 * Whether the server that handed over `info` sends this request's response
 * trailers to its client (absent: it does not, as Deno's engine).
 */
export function deliversTrailers(info: Deno.ServeHandlerInfo): boolean {
  return (info as TrailerDelivery).trailers === true;
}

/**
 * Names a trailer section must not carry: framing, routing, connection
 * control, authentication and the fields whose meaning needs the head.
 */
const NOT_TRAILERS = new Set([
  "content-length",
  "content-encoding",
  "content-type",
  "content-range",
  "transfer-encoding",
  "trailer",
  "te",
  "host",
  "connection",
  "keep-alive",
  "proxy-connection",
  "upgrade",
  "authorization",
  "proxy-authenticate",
  "proxy-authorization",
  "www-authenticate",
  "set-cookie",
  "cache-control",
  "expires",
  "age",
  "date",
  "location",
  "retry-after",
  "vary",
  "warning",
]);

/**
 * Whether a field of this (lower-case) name may be sent in a trailer
 * section: never one that frames, routes or controls the message, nor one
 * whose meaning needs the head (RFC 9110 §6.5.1), in HTTP/1.1 or HTTP/2.
 */
export function mayBeTrailer(name: string): boolean {
  return !NOT_TRAILERS.has(name);
}
