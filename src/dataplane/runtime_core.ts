/**
 * The runtime's own ops object, `Deno[Deno.internal].core` (pinned: Deno
 * 2.9.6): its socket read and write (`socket_read.ts`) and its UTF-8 decode
 * (`http1_bytes.ts`) are what Deno's public wrappers call behind their
 * argument checks and bookkeeping. Each user checks that what it needs is
 * there and falls back to the public API when not.
 *
 * @example
 * ```ts
 * import { runtimeCore } from "./runtime_core.ts";
 * const decode = runtimeCore()?.decode; // a function on Deno 2.9.6
 * ```
 * @module
 */

/** `Deno[Deno.internal].core`, or `undefined` when this Deno has none. */
export function runtimeCore(): Record<string, unknown> | undefined {
  const key = (Deno as unknown as { internal?: symbol }).internal;
  if (typeof key !== "symbol") return undefined;
  return (Deno as unknown as Record<symbol, { core?: Record<string, unknown> }>)[key]?.core;
}
