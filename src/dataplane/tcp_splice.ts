/**
 * Copies bytes both ways between two connections until both directions
 * ended: the relay of TLS Passthrough, where the gateway never sees the
 * plaintext. Each direction reads only after its last chunk was written, so
 * a slow reader on one side slows the writer on the other (backpressure; at
 * most one buffer per direction is held). An end of stream on one side is
 * passed on as a half-close (`closeWrite`), and the other direction keeps
 * flowing until it ends too. A reset on either side, the idle timeout (no
 * byte either way) or the lifetime limit closes both sides at once.
 * @module
 */
import { type Clock, systemClock, type Timer } from "../time/clock.ts";
import { closeQuietly, pump } from "./tcp_relay.ts";

/** Options of {@linkcode splice}. */
export interface SpliceOptions {
  /** Closes both sides after this long without a byte either way; `0`: never. */
  idleTimeoutMs: number;
  /** Closes both sides this long after the start, busy or not; `0`: never. */
  maxLifetimeMs: number;
  /** Default: the system clock. */
  clock?: Clock;
}

/** How a splice ended and what it carried. */
export interface SpliceResult {
  /** Bytes read from `a` and written to `b`. */
  bytesAtoB: number;
  /** Bytes read from `b` and written to `a`. */
  bytesBtoA: number;
  /** `closed`: both sides ended; `reset`: a read or write failed; `idle`/`lifetime`: a timeout. */
  end: "closed" | "reset" | "idle" | "lifetime";
}

/**
 * Relays between `a` and `b` and closes both when done; never throws.
 *
 * @example
 * ```ts
 * import { splice } from "./tcp_splice.ts";
 * declare const client: Deno.Conn, backend: Deno.Conn;
 * const result = await splice(client, backend, { idleTimeoutMs: 600_000, maxLifetimeMs: 0 });
 * result.bytesAtoB; // bytes the client sent after the relay started
 * ```
 */
export async function splice(
  a: Deno.Conn,
  b: Deno.Conn,
  options: SpliceOptions,
): Promise<SpliceResult> {
  const clock = options.clock ?? systemClock;
  let end: SpliceResult["end"] | undefined;
  const stop = (why: SpliceResult["end"]) => {
    end ??= why;
    closeQuietly(a);
    closeQuietly(b);
  };
  let idle: Timer | undefined;
  const armIdle = () => {
    if (options.idleTimeoutMs <= 0) return;
    idle?.cancel();
    idle = clock.setTimeout(() => stop("idle"), options.idleTimeoutMs);
  };
  const lifetime = options.maxLifetimeMs > 0
    ? clock.setTimeout(() => stop("lifetime"), options.maxLifetimeMs)
    : undefined;
  armIdle();
  try {
    const [aToB, bToA] = await Promise.all([
      pump(a, b, { onActivity: armIdle, onFailure: () => stop("reset") }),
      pump(b, a, { onActivity: armIdle, onFailure: () => stop("reset") }),
    ]);
    return { bytesAtoB: aToB, bytesBtoA: bToA, end: end ?? "closed" };
  } finally {
    idle?.cancel();
    lifetime?.cancel();
    closeQuietly(a);
    closeQuietly(b);
  }
}
