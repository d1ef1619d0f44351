/**
 * Exponential backoff with full jitter: the n-th consecutive failure waits a
 * uniformly random time in `[0, min(cap, base * 2^n))`. Full jitter spreads
 * the reconnects of many replicas (and of our eight watches) after an API
 * server restart instead of having them retry in lockstep. A `Retry-After`
 * from the server is a floor.
 *
 * @example
 * ```ts
 * import { createBackoff } from "./backoff.ts";
 * const backoff = createBackoff({ baseMs: 250, capMs: 30_000 });
 * const wait = backoff.next(); // 0..250 ms, then 0..500 ms, ...
 * backoff.reset();
 * ```
 * @module
 */

/** Options of {@linkcode createBackoff}. */
export interface BackoffOptions {
  /** Upper bound of the first wait. Default 250 ms. */
  baseMs?: number;
  /** Largest upper bound. Default 30 s. */
  capMs?: number;
  /** Random source in [0, 1); injectable for tests. */
  random?: () => number;
}

/** A backoff sequence. */
export interface Backoff {
  /** The wait before the next attempt; `retryAfterMs` (from the server) is honoured as a floor. */
  next(retryAfterMs?: number): number;
  /** Starts over after a success. */
  reset(): void;
  /** Consecutive failures so far. */
  readonly failures: number;
}

/** Creates a backoff sequence. */
export function createBackoff(options: BackoffOptions = {}): Backoff {
  const base = options.baseMs ?? 250;
  const cap = options.capMs ?? 30_000;
  const random = options.random ?? Math.random;
  let failures = 0;
  return {
    next(retryAfterMs) {
      const ceiling = Math.min(cap, base * 2 ** Math.min(failures, 30));
      failures += 1;
      const jittered = random() * ceiling;
      return retryAfterMs === undefined ? jittered : Math.max(retryAfterMs, jittered);
    },
    reset() {
      failures = 0;
    },
    get failures() {
      return failures;
    },
  };
}
