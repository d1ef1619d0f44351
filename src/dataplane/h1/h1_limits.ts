/**
 * The bounds our HTTP/1.1 server puts on what one client may make it hold
 * or do, and their defaults.
 *
 * @example
 * ```ts
 * import { DEFAULT_H1_LIMITS } from "./h1_limits.ts";
 * const limits = { ...DEFAULT_H1_LIMITS, maxRequests: 1000 };
 * ```
 * @module
 */

/** Bounds on what one client may make the server hold or do. */
export interface H1Limits {
  /** Longest request head (request line and fields), and longest trailer section; past it, 431. */
  maxHeadBytes: number;
  /** Most header fields in a head; past it, 431. */
  maxHeaderFields: number;
  /** Requests on one connection; the last answer says `Connection: close`. */
  maxRequests: number;
}

/**
 * The defaults: 32 KiB heads (nginx's large buffers), 100 fields, 100,000
 * requests per connection. Not nginx's 1,000: a connection holds no more
 * memory after many requests than after one, and a client sending at a
 * fixed rate stalls behind its queued requests while it reconnects.
 */
export const DEFAULT_H1_LIMITS: Readonly<H1Limits> = Object.freeze({
  maxHeadBytes: 32 * 1024,
  maxHeaderFields: 100,
  maxRequests: 100_000,
});
