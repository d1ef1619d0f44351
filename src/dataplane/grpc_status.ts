/**
 * gRPC clients read a call's outcome from `grpc-status`, not from the HTTP
 * status: an answer the gateway makes itself (no route, no backend, a
 * failed or timed-out backend) must reach them as a gRPC status, or they
 * report a bare protocol error. {@linkcode withGrpcStatuses} wraps a port's
 * handler: for a gRPC request (`content-type: application/grpc…`) whose
 * answer is not a gRPC response, it answers HTTP 200 "Trailers-Only" with
 * the status the gRPC HTTP mapping gives, except where the gateway knows
 * better:
 *
 * - 404 (no route matches) → 12 UNIMPLEMENTED, as for an unknown method;
 * - 500 (the rule's backends are invalid), 502, 503 → 14 UNAVAILABLE, as
 *   the GRPCRoute spec requires for invalid backends;
 * - 504 (the backend timed out) → 4 DEADLINE_EXCEEDED;
 * - 400 → 13 INTERNAL, 401 → 16 UNAUTHENTICATED, 403 → 7 PERMISSION_DENIED,
 *   429 → 14 UNAVAILABLE, anything else → 2 UNKNOWN.
 *
 * The original status and text go into `grpc-message` (percent-encoded).
 * @module
 */

import type { FieldsHandler } from "./field_headers.ts";
import { HeadFields } from "./head_fields.ts";

/** gRPC status codes this module produces. */
export const GrpcCode = {
  UNKNOWN: 2,
  DEADLINE_EXCEEDED: 4,
  PERMISSION_DENIED: 7,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

/** Whether a request or response carries gRPC (`application/grpc`, `application/grpc+proto`, …). */
export function isGrpcContentType(value: string | null): boolean {
  if (value === null) return false;
  const v = value.toLowerCase();
  return v === "application/grpc" || v.startsWith("application/grpc+") ||
    v.startsWith("application/grpc;");
}

/** The gRPC status for an HTTP status the gateway answered a gRPC call with. */
export function grpcCodeForHttpStatus(status: number): number {
  switch (status) {
    case 400:
      return GrpcCode.INTERNAL;
    case 401:
      return GrpcCode.UNAUTHENTICATED;
    case 403:
      return GrpcCode.PERMISSION_DENIED;
    case 404:
      return GrpcCode.UNIMPLEMENTED;
    case 429:
    case 500:
    case 502:
    case 503:
      return GrpcCode.UNAVAILABLE;
    case 504:
      return GrpcCode.DEADLINE_EXCEEDED;
    default:
      return GrpcCode.UNKNOWN;
  }
}

/** `grpc-message` encoding: percent-encode what is not printable ASCII, and `%`. */
export function encodeGrpcMessage(text: string): string {
  return Array.from(
    new TextEncoder().encode(text),
    (b) =>
      b >= 0x20 && b <= 0x7e && b !== 0x25
        ? String.fromCharCode(b)
        : `%${b.toString(16).toUpperCase().padStart(2, "0")}`,
  ).join("");
}

/**
 * A Trailers-Only gRPC answer: HTTP 200, `content-type: application/grpc`,
 * `grpc-status` and `grpc-message` in the only header block.
 *
 * @example
 * ```ts
 * import { grpcStatusResponse } from "./grpc_status.ts";
 * grpcStatusResponse(12, "No route").headers.get("grpc-status"); // "12"
 * ```
 */
export function grpcStatusResponse(code: number, message: string): Response {
  return new Response(null, {
    status: 200,
    headers: {
      "content-type": "application/grpc",
      "grpc-status": String(code),
      "grpc-message": encodeGrpcMessage(message),
    },
  });
}

type Handler<I> = (request: Request, info: I) => Promise<Response>;

/**
 * Wraps `handler` so that gRPC calls get gRPC statuses for the gateway's
 * own answers; other requests pass through untouched.
 */
export function withGrpcStatuses<I>(handler: Handler<I>): Handler<I> {
  return (request, info) => {
    // Other requests get the handler's own promise: no extra async step each.
    if (!isGrpcContentType(request.headers.get("content-type"))) return handler(request, info);
    return handler(request, info).then(asGrpcStatus);
  };
}

/**
 * The fast path of a port (`h1_connection.ts`), declining gRPC requests:
 * their errors become gRPC statuses through the `Request` path
 * ({@linkcode withGrpcStatuses}).
 */
export function withoutGrpc(fields: FieldsHandler): FieldsHandler {
  return (request, info) => {
    const headers = request.headers;
    // A head without a field that may be Content-Type (the common GET) costs no lookup.
    if (headers instanceof HeadFields && !headers.mayBeTyped) return fields(request, info);
    return isGrpcContentType(headers.get("content-type")) ? undefined : fields(request, info);
  };
}

async function asGrpcStatus(response: Response): Promise<Response> {
  if (isGrpcContentType(response.headers.get("content-type"))) return response;
  const text = response.body === null ? "" : (await response.text().catch(() => "")).trim();
  const message = `${response.status}${text === "" ? "" : ` ${text}`}`;
  return grpcStatusResponse(grpcCodeForHttpStatus(response.status), message);
}
