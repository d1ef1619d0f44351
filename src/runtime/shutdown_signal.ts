/**
 * Turns SIGTERM/SIGINT (or an `AbortSignal`) into one promise. A second
 * signal during the drain means the operator is impatient: `forced` aborts and
 * the runtime skips the remaining waits.
 * @module
 */

/** Options of {@linkcode waitForShutdown}. */
export interface ShutdownOptions {
  /** Aborting it starts the shutdown, like a signal. */
  signal?: AbortSignal;
  /** Listen for SIGTERM and SIGINT. */
  signals: boolean;
}

/** A pending shutdown. */
export interface ShutdownWaiter {
  /** Resolves with `"shutdown"` on the first signal. */
  promise: Promise<"shutdown">;
  /** What started it: `SIGTERM`, `SIGINT` or `abort`. */
  reason(): string | undefined;
  /** Aborted by a second signal. */
  forced: AbortSignal;
  /** Removes the signal listeners. */
  dispose(): void;
}

const SIGNALS: Deno.Signal[] = ["SIGTERM", "SIGINT"];

/** Starts listening; call `dispose()` when done. */
export function waitForShutdown(options: ShutdownOptions): ShutdownWaiter {
  let reason: string | undefined;
  const force = new AbortController();
  let resolve!: (value: "shutdown") => void;
  const promise = new Promise<"shutdown">((r) => resolve = r);
  const trigger = (why: string) => {
    if (reason === undefined) {
      reason = why;
      resolve("shutdown");
    } else {
      force.abort();
    }
  };
  const handlers = new Map<Deno.Signal, () => void>();
  if (options.signals && Deno.build.os !== "windows") {
    for (const sig of SIGNALS) {
      const handler = () => trigger(sig);
      handlers.set(sig, handler);
      Deno.addSignalListener(sig, handler);
    }
  }
  const onAbort = () => trigger("abort");
  if (options.signal?.aborted) trigger("abort");
  else options.signal?.addEventListener("abort", onAbort, { once: true });
  return {
    promise,
    reason: () => reason,
    forced: force.signal,
    dispose() {
      for (const [sig, handler] of handlers) Deno.removeSignalListener(sig, handler);
      handlers.clear();
      options.signal?.removeEventListener("abort", onAbort);
    },
  };
}
