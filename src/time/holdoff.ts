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
 *   event loop keeps at least `holdoffMs` between two fires for other work.
 *   Slow fires (rebuilds at scale) are paced by what they took: each adds
 *   its duration to a debt that time without a fire pays back (carrying at
 *   most one fire's worth into the next), and a change waits only while the
 *   debt is more than one fire's worth (the last fire's duration), and never
 *   longer than the last fire took. So a change that follows one slow fire
 *   is applied at once, while fires that keep coming take at most about half
 *   of the event loop's time, however slow they get; pacing every fire by as
 *   long again after it made a change that came during or just after a
 *   rebuild wait a rebuild's length for nothing when rebuilds were rare
 *   (route churn).
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
  /** Fire time not yet paid back by time without a fire, as of `#lastFiredAt`. */
  #debtMs = 0;

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
      // Fires that took long (rebuilds at scale) leave as long again for
      // everything else (watch events, requests, status writes), beyond one
      // fire's worth of credit; never longer than the last fire took.
      const overdrawn = this.#debtMs - since - this.#lastFireMs;
      const paced = Math.min(this.#lastFireMs - since, overdrawn);
      const wait = Math.max(0, this.#options.holdoffMs - since, paced);
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
    // At most one fire's worth is carried: a lone very slow fire (a relist,
    // a long pause) is not paid back by every later fire.
    const owed = this.#lastFiredAt === undefined
      ? 0
      : Math.min(this.#lastFireMs, Math.max(0, this.#debtMs - (started - this.#lastFiredAt)));
    try {
      this.#options.fire();
    } finally {
      // The window starts when the work ends, so a slow fire still leaves
      // the event loop its holdoff before the next one.
      this.#lastFiredAt = this.#clock.now();
      this.#lastFireMs = this.#lastFiredAt - started;
      this.#debtMs = owed + this.#lastFireMs;
    }
  }
}
