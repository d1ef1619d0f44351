/**
 * The idle keep-alive connections of the HTTP/1.1 upstream client, per
 * endpoint key: LIFO stacks (the most recently used connection, the one
 * least likely to have been closed by the upstream, goes out first),
 * bounded per key, and a sweeper that closes connections idle longer than
 * the timeout. A parked connection that the upstream closes leaves its stack
 * by itself.
 * @module
 */
import type { Http1Connection } from "./upstream_connection.ts";
import { batchNow, monotonicNow } from "./monotonic_clock.ts";

/** Idle connections by endpoint key. */
export class IdleConnections {
  readonly #maxPerKey: number;
  readonly #idleTimeoutMs: number;
  readonly #stacks = new Map<string, Http1Connection[]>();
  #count = 0;
  #sweeper: ReturnType<typeof setInterval> | undefined;

  /** At most `maxPerKey` idle connections per key, each for at most `idleTimeoutMs`. */
  constructor(maxPerKey: number, idleTimeoutMs: number) {
    this.#maxPerKey = maxPerKey;
    this.#idleTimeoutMs = idleTimeoutMs;
  }

  /** Idle connections held, over every key. */
  get size(): number {
    return this.#count;
  }

  /** An open idle connection of `key`, claimed for a request; `undefined` when there is none. */
  take(key: string): Http1Connection | undefined {
    const stack = this.#stacks.get(key);
    while (stack !== undefined && stack.length > 0) {
      const c = stack.pop()!;
      this.#count--;
      if (!c.closed) {
        c.claim();
        return c;
      }
    }
    return undefined;
  }

  /** Keeps `c` for the next request of `key`, or closes it when the stack is full or bytes are left. */
  park(key: string, c: Http1Connection): void {
    if (c.closed) return;
    let stack = this.#stacks.get(key);
    if (stack === undefined) this.#stacks.set(key, stack = []);
    if (stack.length >= this.#maxPerKey || c.buffered !== 0) {
      c.close();
      return;
    }
    // The reactor batch's reading when there is one: none of its own a request (`monotonic_clock.ts`).
    c.idleSince = batchNow();
    c.poolKey = key;
    c.park(this.#lost);
    // Ended at once by what the backend sent after its answer (its close).
    if (c.closed) return;
    stack.push(c);
    this.#count++;
    if (this.#sweeper === undefined) {
      this.#sweeper = setInterval(
        () => this.#sweep(),
        Math.max(10, Math.min(1000, this.#idleTimeoutMs / 2)),
      );
      Deno.unrefTimer(this.#sweeper as unknown as number);
    }
  }

  /** Closes every idle connection and stops the sweeper. */
  close(): void {
    this.#stopSweeper();
    for (const stack of this.#stacks.values()) for (const c of stack) c.close();
    this.#stacks.clear();
    this.#count = 0;
  }

  /** Told by a parked connection that the upstream ended it; made once, not per park. */
  readonly #lost = (c: Http1Connection): void => {
    const stack = this.#stacks.get(c.poolKey);
    const at = stack ? stack.indexOf(c) : -1;
    if (at !== -1) {
      stack!.splice(at, 1);
      this.#count--;
    }
  };

  #sweep(): void {
    const oldest = monotonicNow() - this.#idleTimeoutMs;
    for (const [key, stack] of this.#stacks) {
      // LIFO: the longest idle connections are at the bottom.
      while (stack.length > 0 && stack[0].idleSince < oldest) {
        stack.shift()!.close();
        this.#count--;
      }
      if (stack.length === 0) this.#stacks.delete(key);
    }
    if (this.#count === 0) this.#stopSweeper();
  }

  #stopSweeper(): void {
    if (this.#sweeper !== undefined) clearInterval(this.#sweeper);
    this.#sweeper = undefined;
  }
}
