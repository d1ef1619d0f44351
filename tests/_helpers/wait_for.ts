/**
 * Waiting for an event in tests: check a condition until it holds, with a
 * generous deadline that only a real defect reaches. The pause between checks
 * only bounds the polling cost; nothing depends on its length, so a slow,
 * busy machine takes longer but reaches the same result.
 *
 * @example
 * ```ts
 * import { waitFor } from "./wait_for.ts";
 * let done = false;
 * setTimeout(() => done = true, 10);
 * await waitFor("the flag", () => done);
 * ```
 * @module
 */

/** Options of {@linkcode waitFor}. */
export interface WaitForOptions {
  /** Give up after this long. Default 60 s: far beyond any healthy run, even a loaded one. */
  deadlineMs?: number;
  /** Pause between checks. Default 10 ms. */
  pollMs?: number;
  /**
   * Treat a check that throws as "not yet" (e.g. a connection refused before a
   * server listens); the last error becomes the timeout's cause. Default
   * false: a throwing check (a failed assertion) fails at once.
   */
  retryErrors?: boolean;
}

/**
 * Resolves once `check` returns true (it may be async); throws
 * `Cannot observe <what> within <n> ms` past the deadline.
 */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  options: WaitForOptions = {},
): Promise<void> {
  const deadlineMs = options.deadlineMs ?? 60_000;
  const pollMs = options.pollMs ?? 10;
  const deadline = performance.now() + deadlineMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (error) {
      if (!options.retryErrors) throw error;
      lastError = error;
    }
    if (performance.now() >= deadline) {
      throw new Error(`Cannot observe ${what} within ${deadlineMs} ms`, { cause: lastError });
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
