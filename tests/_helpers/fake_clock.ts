/**
 * A manual {@linkcode Clock} for tests: time stands still until the test
 * advances it, and then every timer that falls due fires in order of its due
 * time (ties in the order they were set), with the clock reading exactly that
 * due time while it runs. Code under test that awaits between timers gets to
 * run in between: after each firing the clock lets pending promise callbacks
 * and already-queued macrotasks finish before it looks for the next timer.
 *
 * @example
 * ```ts
 * import { FakeClock } from "./fake_clock.ts";
 * const clock = new FakeClock();
 * let fired = false;
 * clock.setTimeout(() => fired = true, 30_000);
 * await clock.advance(30_000);
 * console.log(fired); // true
 * ```
 * @module
 */
import { type Clock, sleepOn, type Timer } from "../../src/time/clock.ts";

class FakeTimer implements Timer {
  cancelled = false;
  constructor(
    readonly clock: FakeClock,
    public at: number,
    readonly seq: number,
    readonly callback: () => void,
    readonly every: number | undefined,
  ) {}
  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.clock.remove(this);
  }
  unref(): Timer {
    return this;
  }
}

/** Lets queued promise callbacks and macrotasks run (one real macrotask turn). */
export function flushTasks(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** A clock the test drives by hand. */
export class FakeClock implements Clock {
  #now: number;
  #seq = 0;
  #timers: FakeTimer[] = [];
  #waiters: { count: number; resolve: () => void }[] = [];

  /** Starts at `start` milliseconds (default 1,000,000, so `now() - x` stays positive). */
  constructor(start = 1_000_000) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): Timer {
    return this.#add(callback, ms, undefined);
  }

  setInterval(callback: () => void, ms: number): Timer {
    return this.#add(callback, ms, Math.max(1, ms));
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, ms, signal);
  }

  /** Timers set and not yet fired nor cancelled. */
  pending(): number {
    return this.#timers.length;
  }

  /** Milliseconds until the next timer is due, or `undefined` when none is pending. */
  nextDelay(): number | undefined {
    const next = this.#timers[0];
    return next === undefined ? undefined : Math.max(0, next.at - this.#now);
  }

  /**
   * Resolves once at least `count` timers are pending: the positive signal
   * that the code under test has reached the point where it waits on time.
   */
  whenPending(count = 1): Promise<void> {
    if (this.#timers.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ count, resolve }));
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way, in order. */
  async advance(ms: number): Promise<void> {
    const target = this.#now + Math.max(0, ms);
    await flushTasks();
    for (;;) {
      const next = this.#timers[0];
      if (next === undefined || next.at > target) break;
      this.#now = Math.max(this.#now, next.at);
      this.#timers.shift();
      if (next.every !== undefined) {
        next.at += next.every;
        this.#insert(next);
      } else {
        next.cancelled = true;
      }
      next.callback();
      await flushTasks();
    }
    this.#now = target;
    await flushTasks();
  }

  /** Advances to the next pending timer and fires it (and any due at the same time). */
  async tick(): Promise<void> {
    const delay = this.nextDelay();
    if (delay !== undefined) await this.advance(delay);
  }

  /** @internal Used by a timer's `cancel()`. */
  remove(timer: FakeTimer): void {
    const i = this.#timers.indexOf(timer);
    if (i >= 0) this.#timers.splice(i, 1);
  }

  #add(callback: () => void, ms: number, every: number | undefined): Timer {
    const delay = Math.max(0, Number.isFinite(ms) ? ms : 0);
    const timer = new FakeTimer(this, this.#now + delay, this.#seq++, callback, every);
    this.#insert(timer);
    this.#waiters = this.#waiters.filter((w) => {
      if (this.#timers.length < w.count) return true;
      w.resolve();
      return false;
    });
    return timer;
  }

  #insert(timer: FakeTimer): void {
    let i = this.#timers.length;
    while (
      i > 0 &&
      (this.#timers[i - 1].at > timer.at ||
        (this.#timers[i - 1].at === timer.at && this.#timers[i - 1].seq > timer.seq))
    ) i--;
    this.#timers.splice(i, 0, timer);
  }
}
