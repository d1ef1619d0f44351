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
import { closeQuietly, SMALL_BUFFER, writeAll } from "./tcp_relay.ts";

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

const LARGE_BUFFER = 65536;

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
      pump(a, b, armIdle, () => stop("reset")),
      pump(b, a, armIdle, () => stop("reset")),
    ]);
    return { bytesAtoB: aToB, bytesBtoA: bToA, end: end ?? "closed" };
  } finally {
    idle?.cancel();
    lifetime?.cancel();
    closeQuietly(a);
    closeQuietly(b);
  }
}

/**
 * Copies `from` → `to` until end of stream, then half-closes `to`. The
 * buffer grows for bulk transfers and shrinks back when traffic is light, so
 * an idle tunnel holds only a small one. Returns the bytes copied.
 */
async function pump(
  from: Deno.Conn,
  to: Deno.Conn,
  onActivity: () => void,
  onFailure: () => void,
): Promise<number> {
  let buffer = new Uint8Array(SMALL_BUFFER);
  let copied = 0;
  try {
    while (true) {
      const n = await from.read(buffer);
      if (n === null) break;
      onActivity();
      await writeAll(to, buffer.subarray(0, n));
      copied += n;
      if (n === buffer.length && buffer.length < LARGE_BUFFER) {
        buffer = new Uint8Array(LARGE_BUFFER);
      } else if (n < SMALL_BUFFER && buffer.length > SMALL_BUFFER) {
        buffer = new Uint8Array(SMALL_BUFFER);
      }
    }
    await to.closeWrite();
  } catch {
    // A reset, a write to a closed peer, or our own close (timeouts): both sides end.
    onFailure();
  }
  return copied;
}
