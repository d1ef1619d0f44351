/**
 * Coarse per-request deadlines without a `setTimeout` per request.
 *
 * A proxy arms a deadline for nearly every request and cancels it a few
 * milliseconds later. A runtime timer each time costs a timer object, its
 * bookkeeping and two calls into the runtime; measured on the bench, that was
 * a visible share of the per-request CPU. Here deadlines of the same length
 * go into one FIFO queue (so it stays sorted by expiry), cancelling marks
 * an entry (and lets the cancelled front of the queue go), and one interval
 * per queue in use fires what is due. A
 * deadline fires between `ms` and `ms + ms/20` after it was armed (at most
 * 100 ms late), which is plenty for request timeouts.
 * @module
 */
import type { Clock, Timer } from "../time/clock.ts";
import { monotonicClock } from "./monotonic_clock.ts";

/**
 * What a deadline calls when it fires: a function, or an object's `expire`,
 * so a caller with an object per request (the upstream client's call)
 * makes no closure per deadline.
 */
export type Expiry = (() => void) | { expire(): void };

/** A pending deadline; `cancel()` is idempotent and cheap. */
export interface Deadline {
  cancel(): void;
}

/** Arms deadlines. */
export interface DeadlineTimer {
  /**
   * Calls `fire` once, about `ms` from now, unless cancelled first. `now`:
   * the clock's time, when the caller has just read it (a read fewer); no
   * earlier than the time of a deadline of the same length armed before,
   * since a queue is due in the order it was armed.
   */
  arm(ms: number, fire: Expiry, now?: number): Deadline;
  /** Armed, not yet fired nor cancelled (for tests). */
  pending(): number;
  /** Stops every interval; pending deadlines never fire. */
  close(): void;
}

class Entry implements Deadline {
  constructor(readonly at: number, public fire: Expiry | null, readonly queue: Queue) {}
  cancel(): void {
    if (this.fire === null) return;
    this.fire = null;
    const q = this.queue;
    q.live--;
    // Requests end in about the order they began: the cancelled front of the
    // queue leaves it now, so a request's entry dies young. Kept until the
    // interval's next pass (up to 100 ms), every entry outlived several
    // young-generation collections and was promoted: old-space garbage that
    // brought a full collection every 4-7 s at 14k requests a second.
    const entries = q.entries;
    let i = q.head;
    while (i < entries.length && entries[i].fire === null) entries[i++] = GONE;
    // The array itself is reset or compacted by the interval's pass, as before.
    q.head = i;
  }
}

/** What a slot of the queue holds once its entry left it from the front (never fires). */
const GONE: Entry = new Entry(0, null, {
  entries: [],
  head: 0,
  live: 0,
  interval: undefined,
});

interface Queue {
  entries: Entry[];
  /** Index of the first entry still in `entries`. */
  head: number;
  live: number;
  interval: Timer | undefined;
}

/**
 * Creates a timer on `clock` (injectable for tests).
 *
 * @example
 * ```ts
 * import { createDeadlineTimer } from "./deadline_timer.ts";
 * const timer = createDeadlineTimer();
 * const deadline = timer.arm(5_000, () => console.log("too late"));
 * deadline.cancel();
 * timer.close();
 * ```
 */
export function createDeadlineTimer(clock: Clock = monotonicClock): DeadlineTimer {
  const now = () => clock.now();
  const queues = new Map<number, Queue>();

  function expire(ms: number, q: Queue): void {
    const t = now();
    const entries = q.entries;
    let i = q.head;
    for (; i < entries.length; i++) {
      const e = entries[i];
      if (e.fire === null) continue; // Cancelled: drop it whatever its deadline.
      if (e.at > t) break;
      const fire = e.fire;
      e.cancel();
      try {
        if (typeof fire === "function") fire();
        else fire.expire();
      } catch {
        // A deadline callback only closes sockets; one failing must not stop the others.
      }
    }
    // Cancelling while due ones fire may have moved the front further: only over spent entries.
    q.head = i;
    if (q.head === entries.length) {
      entries.length = 0;
      q.head = 0;
    } else if (entries.length - q.live > 1024 && entries.length > 2 * q.live) {
      // A long request at the front keeps cancelled entries behind it: compact them.
      q.entries = entries.slice(q.head).filter((e) => e.fire !== null);
      q.head = 0;
    } else if (q.head > 1024 && q.head * 2 > entries.length) {
      q.entries = entries.slice(q.head);
      q.head = 0;
    }
    if (q.live === 0) {
      q.interval?.cancel();
      q.interval = undefined;
      q.entries.length = 0;
      q.head = 0;
      queues.delete(ms);
    }
  }

  return {
    arm(ms: number, fire: Expiry, at: number = now()): Deadline {
      let q = queues.get(ms);
      if (q === undefined) {
        q = { entries: [], head: 0, live: 0, interval: undefined };
        queues.set(ms, q);
      }
      const entry = new Entry(at + ms, fire, q);
      q.entries.push(entry);
      q.live++;
      if (q.interval === undefined) {
        const queue = q;
        const period = Math.min(100, Math.max(1, Math.floor(ms / 20)));
        // Pending deadlines alone must not keep the process alive.
        q.interval = clock.setInterval(() => expire(ms, queue), period).unref();
      }
      return entry;
    },
    pending(): number {
      let n = 0;
      for (const q of queues.values()) n += q.live;
      return n;
    },
    close(): void {
      for (const q of queues.values()) {
        q.interval?.cancel();
        for (let i = q.head; i < q.entries.length; i++) q.entries[i].fire = null;
      }
      queues.clear();
    },
  };
}
