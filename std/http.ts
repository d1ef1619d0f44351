/**
 * A local stand-in for the part of `jsr:@std/http` this project uses: HTTP status
 * codes and their reason phrases, with the same export names, so pointing
 * `@std/http` at JSR in `deno.json` is a one-line change.
 *
 * @example
 * ```ts
 * import { STATUS_CODE, STATUS_TEXT } from "@std/http";
 * STATUS_TEXT[STATUS_CODE.NotFound]; // "Not Found"
 * ```
 * @module
 */
import { STATUS_CODES } from "node:http";

/** Status codes by name. */
export const STATUS_CODE = {
  OK: 200,
  Created: 201,
  Accepted: 202,
  NoContent: 204,
  MovedPermanently: 301,
  Found: 302,
  SeeOther: 303,
  NotModified: 304,
  TemporaryRedirect: 307,
  PermanentRedirect: 308,
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  MethodNotAllowed: 405,
  Conflict: 409,
  Gone: 410,
  PayloadTooLarge: 413,
  URITooLong: 414,
  MisdirectedRequest: 421,
  UnprocessableEntity: 422,
  TooManyRequests: 429,
  RequestHeaderFieldsTooLarge: 431,
  InternalServerError: 500,
  NotImplemented: 501,
  BadGateway: 502,
  ServiceUnavailable: 503,
  GatewayTimeout: 504,
} as const;

/** A status code this module names. */
export type StatusCode = typeof STATUS_CODE[keyof typeof STATUS_CODE];

/** Reason phrases by status code. */
export const STATUS_TEXT: Readonly<Record<number, string>> = Object.freeze(
  Object.fromEntries(
    Object.entries(STATUS_CODES).map(([code, text]) => [Number(code), text ?? ""]),
  ),
);
