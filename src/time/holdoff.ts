/**
 * The holdoff between a burst of changes and the one rebuild that follows
 * it, in one of two shapes:
 *
 * - trailing (the default): each change (re)arms a quiet-time timer, and a
 *   change that keeps coming waits at most `maxDelayMs` in all. An editor's
 *   write-then-rename is read once, after it settled (the files source).
 * - leading (`leading: true`): a change that finds the holdoff idle fires at
 *   once (on the next turn of the event loop, so the events of one read are
 *   one fire); changes within `holdoffMs` of the end of the last fire wait
 *   for that window to close and then fire once, together. A lone change is
 *   applied without delay, a burst costs one fire per `holdoffMs`, and the
 *   event loop keeps at least `holdoffMs` between two fires for other work,
 *   or as long as the last fire took when that was longer (at most half of
 *   its time goes to fires, however slow they get).
 *   The store uses it, so every source (files or Kubernetes) shares it.
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
  /** Longest the first change of a burst waits while changes keep coming (trailing only). */
  maxDelayMs: number;
  /** Fire at once when idle and then at most once per `holdoffMs` (see the module doc). */
  leading?: boolean;
  /** Runs once per burst. */
  fire: () => void;
  /** Default {@linkcode systemClock}. */
  clock?: Clock;
}

/** A resettable, capped quiet-time timer, or a leading-edge rate limit. */
export class Holdoff {
  readonly #options: HoldoffOptions;
  readonly #clock: Clock;
  #timer: Timer | undefined;
  #firstChangeAt: number | undefined;
  #lastFiredAt: number | undefined;
  #lastFireMs = 0;

  constructor(options: HoldoffOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
  }

  /** Whether a burst is waiting to fire. */
  get pending(): boolean {
    return this.#timer !== undefined;
  }

  /**
   * Records a change. Trailing: (re)starts the quiet time, never past the
   * burst's cap. Leading: fires next turn when idle, else joins the fire at
   * the end of the current window.
   */
  arm(): void {
    const now = this.#clock.now();
    if (this.#options.leading) {
      if (this.#timer !== undefined) return;
      const since = this.#lastFiredAt === undefined ? Infinity : now - this.#lastFiredAt;
      // A fire that took longer than the holdoff (a rebuild at scale) gets as
      // long again for everything else: watch events, requests, status writes.
      const gap = Math.max(this.#options.holdoffMs, this.#lastFireMs);
      const wait = Math.max(0, gap - since);
      this.#timer = this.#clock.setTimeout(() => this.#fire(), wait);
      return;
    }
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
    const started = this.#clock.now();
    try {
      this.#options.fire();
    } finally {
      // The window starts when the work ends, so a slow fire still leaves
      // the event loop its holdoff before the next one.
      this.#lastFiredAt = this.#clock.now();
      this.#lastFireMs = this.#lastFiredAt - started;
    }
  }
}
