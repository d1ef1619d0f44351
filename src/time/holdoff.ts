/**
 * The holdoff between a burst of changes and the one rebuild that follows
 * it: each change (re)arms a quiet-time timer, and a change that keeps coming
 * waits at most `maxDelayMs` in all. A thousand watch events, or an editor's
 * write-then-rename, cost a handful of rebuilds. The store is its one user,
 * so every source (files or Kubernetes) shares the same algorithm.
 *
 * @example
 * ```ts
 * import { Holdoff } from "./holdoff.ts";
 * let fired = 0;
 * const holdoff = new Holdoff({ holdoffMs: 100, maxDelayMs: 500, fire: () => fired++ });
 * holdoff.arm();
 * holdoff.arm();
 * holdoff.flush(); // fires once, now, for both changes
 * console.log(fired); // 1
 * ```
 * @module
 */
import { type Clock, systemClock, type Timer } from "./clock.ts";

/** Options of {@linkcode Holdoff}. */
export interface HoldoffOptions {
  /** Quiet time after the last change before `fire` runs. */
  holdoffMs: number;
  /** Longest the first change of a burst waits while changes keep coming. */
  maxDelayMs: number;
  /** Runs once per burst. */
  fire: () => void;
  /** Default {@linkcode systemClock}. */
  clock?: Clock;
}

/** A resettable, capped quiet-time timer. */
export class Holdoff {
  readonly #options: HoldoffOptions;
  readonly #clock: Clock;
  #timer: Timer | undefined;
  #firstChangeAt: number | undefined;

  constructor(options: HoldoffOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
  }

  /** Whether a burst is waiting to fire. */
  get pending(): boolean {
    return this.#timer !== undefined;
  }

  /** Records a change: (re)starts the quiet time, never past the burst's cap. */
  arm(): void {
    const now = this.#clock.now();
    this.#firstChangeAt ??= now;
    this.#timer?.cancel();
    const { holdoffMs, maxDelayMs } = this.#options;
    const wait = Math.max(0, Math.min(holdoffMs, this.#firstChangeAt + maxDelayMs - now));
    this.#timer = this.#clock.setTimeout(() => this.#fire(), wait);
  }

  /** Fires now if a burst is waiting. */
  flush(): void {
    if (this.#timer !== undefined) this.#fire();
  }

  /** Drops a waiting burst without firing. */
  cancel(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#firstChangeAt = undefined;
  }

  #fire(): void {
    this.cancel();
    this.#options.fire();
  }
}
