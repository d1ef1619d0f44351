/**
 * The one source of time for code whose behaviour depends on time passing:
 * deadlines, rate limits, leases, backoff, idle timeouts, holdoffs.
 *
 * Production code takes a {@linkcode Clock} (defaulting to
 * {@linkcode systemClock}) instead of calling `setTimeout`,
 * `performance.now()` or a private `sleep`, so a test can hand it a manual
 * clock and drive time itself: a 30-second lease then expires in
 * microseconds, and the outcome no longer depends on how busy the machine is.
 * This module sits at the bottom of the import graph and imports nothing.
 *
 * @example
 * ```ts
 * import { systemClock } from "./clock.ts";
 * const started = systemClock.now();
 * const timer = systemClock.setTimeout(() => console.log("late"), 1_000);
 * timer.cancel();
 * await systemClock.sleep(1);
 * console.log(systemClock.now() >= started);
 * ```
 * @module
 */

/** A scheduled callback; `cancel()` is idempotent. */
export interface Timer {
  /** Stops the timer; the callback will not run (again). */
  cancel(): void;
  /**
   * Lets the process exit while this timer is pending (a no-op on clocks
   * that do not own a process). Returns the timer for chaining.
   */
  unref(): Timer;
}

/** Monotonic time and timers. */
export interface Clock {
  /** Monotonic milliseconds; only differences between two readings mean anything. */
  now(): number;
  /**
   * Calls `callback` once, `ms` from now, unless cancelled first. `ms` of 0
   * or less means the event loop's next turn, after the I/O already due.
   */
  setTimeout(callback: () => void, ms: number): Timer;
  /** Calls `callback` every `ms` until cancelled. */
  setInterval(callback: () => void, ms: number): Timer;
  /** Resolves after `ms`, or at once when `signal` aborts (it never rejects). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

class SystemTimer implements Timer {
  #id: ReturnType<typeof setTimeout> | undefined;
  constructor(id: ReturnType<typeof setTimeout>) {
    this.#id = id;
  }
  cancel(): void {
    if (this.#id === undefined) return;
    // clearTimeout and clearInterval share one id space.
    clearTimeout(this.#id);
    this.#id = undefined;
  }
  unref(): Timer {
    if (this.#id !== undefined) Deno.unrefTimer(this.#id as unknown as number);
    return this;
  }
}

/**
 * Resolves after `ms` on `clock`, or at once when `signal` aborts. Clock
 * implementations share it so every `sleep` cleans up the same way.
 */
/**
 * A timer for "the next turn": Deno's `setTimeout(fn, 0)` waits for the
 * timer's 1 ms floor and its next tick (about 2 ms measured here, Deno
 * 2.9.6), which a change applied "at once when idle" would pay on every
 * route change; `setImmediate` runs after the I/O of the current turn.
 */
class ImmediateTimer implements Timer {
  #immediate: ReturnType<typeof setImmediate> | undefined;
  constructor(callback: () => void) {
    this.#immediate = setImmediate(() => {
      this.#immediate = undefined;
      callback();
    });
  }
  cancel(): void {
    if (this.#immediate === undefined) return;
    clearImmediate(this.#immediate);
    this.#immediate = undefined;
  }
  unref(): Timer {
    this.#immediate?.unref();
    return this;
  }
}

export function sleepOn(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      timer.cancel();
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = clock.setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** The real clock: `performance.now()` and the runtime's timers. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (callback, ms) =>
    ms > 0 ? new SystemTimer(setTimeout(callback, ms)) : new ImmediateTimer(callback),
  setInterval: (callback, ms) => new SystemTimer(setInterval(callback, ms)),
  sleep(ms, signal) {
    return sleepOn(systemClock, ms, signal);
  },
};
