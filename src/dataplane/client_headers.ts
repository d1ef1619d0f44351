/**
 * What the proxy reads of a client's headers, and what the backend's
 * headers are built from (`forward_headers.ts`, `head_forwarding.ts`).
 * @module
 */
import type { HeaderModifierConfig } from "../model/config.ts";
import type { HeadFields } from "./head_fields.ts";
import { forwardedFor } from "./request_policy.ts";

/** The client's headers, read in one pass (`readClientHeaders`). */
export interface ClientHeaders {
  /** The `Host` header, `null` when absent. */
  host: string | null;
  /** The `Content-Length` header, `null` when absent. */
  contentLength: string | null;
  /** The `Connection` header, `null` when absent. */
  connection: string | null;
  /** The `X-Forwarded-For` header, `null` when absent. */
  forwardedFor: string | null;
  /** Whether the client framed a body with `Transfer-Encoding`. */
  transferEncoding: boolean;
  /** Whether any header name holds `_` (kept in `pairs` only under `allow`). */
  underscore: boolean;
  /**
   * Flattened `[name, value, …]` of every header the proxy does not own;
   * empty when {@linkcode lines} holds them.
   */
  pairs: string[];
  /**
   * The client's head, when its fields are read from the bytes sent
   * (`head_fields.ts`): then `kept` holds the indices of the fields `pairs`
   * would, in the order sent, each field as its own line.
   */
  lines?: HeadFields;
  /** With `lines`: the fields the proxy does not own. */
  kept?: number[];
}

/** What the forwarded request's headers are built from. */
export interface ForwardHeadersInput {
  /** The client's headers, read by `readClientHeaders`. */
  client: ClientHeaders;
  /** Request header modifiers to apply, rule's first, then the backend's. */
  modifiers: readonly HeaderModifierConfig[];
  /** `Host` to send: the client's (port included) or the URLRewrite hostname. */
  host: string;
  /** The client's address. */
  clientIp: string;
  scheme: "http" | "https";
  /** The original `Host` (authority) the client asked for. */
  forwardedHost: string;
  /** Rightmost entries of the client's `X-Forwarded-For` to keep (see `RequestPolicy`). */
  xffTrustedHops: number;
}

/**
 * `Host` (as `input.host`) and the fields {@linkcode pushGatewayForwarded}
 * appends, as one list made whole: no growth of a shorter list per request.
 */
export function gatewayFields(input: ForwardHeadersInput): string[] {
  return [
    "host",
    input.host,
    "x-forwarded-for",
    forwardedFor(input.client.forwardedFor, input.clientIp, input.xffTrustedHops),
    "x-forwarded-proto",
    input.scheme,
    "x-forwarded-host",
    input.forwardedHost,
  ];
}

/**
 * Appends to `out` the fields the gateway adds for the backend, as name and
 * value pairs: `X-Forwarded-For` (the trusted part of the client's and its
 * address), `X-Forwarded-Proto` and `X-Forwarded-Host`.
 */
export function pushGatewayForwarded(out: string[], input: ForwardHeadersInput): string[] {
  out.push(
    "x-forwarded-for",
    forwardedFor(input.client.forwardedFor, input.clientIp, input.xffTrustedHops),
    "x-forwarded-proto",
    input.scheme,
    "x-forwarded-host",
    input.forwardedHost,
  );
  return out;
}
