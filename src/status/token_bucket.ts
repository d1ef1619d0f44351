/**
 * A token bucket: `burst` writes at once, then `perSecond` on average. Keeps
 * a storm of status changes (a thousand routes after a restart) from flooding
 * the API server, which would throttle every client of the cluster.
 *
 * @example
 * ```ts
 * import { createTokenBucket } from "./token_bucket.ts";
 * const bucket = createTokenBucket({ perSecond: 10, burst: 20 });
 * await bucket.take();
 * ```
 * @module
 */
import { type Clock, systemClock } from "../time/clock.ts";

/** Options of {@linkcode createTokenBucket}. */
export interface TokenBucketOptions {
  perSecond: number;
  burst: number;
}

/** A token bucket. */
export interface TokenBucket {
  /** Resolves once a token is available (and takes it), or at once when `signal` aborts. */
  take(signal?: AbortSignal): Promise<void>;
}

/** Creates a full bucket; it refills and waits on `clock` (injectable for tests). */
export function createTokenBucket(
  options: TokenBucketOptions,
  clock: Clock = systemClock,
): TokenBucket {
  let tokens = options.burst;
  let last = clock.now();
  const refill = () => {
    const now = clock.now();
    tokens = Math.min(options.burst, tokens + ((now - last) / 1000) * options.perSecond);
    last = now;
  };
  return {
    async take(signal) {
      for (;;) {
        refill();
        if (tokens >= 1) {
          tokens -= 1;
          return;
        }
        if (signal?.aborted) return;
        await clock.sleep(((1 - tokens) / options.perSecond) * 1000, signal);
      }
    },
  };
}
