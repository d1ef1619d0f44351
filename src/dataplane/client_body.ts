/**
 * The request body as the gateway reads it from a client, with a progress
 * deadline: a client that stops sending its body for `timeoutMs` gets 408
 * (`--client-body-timeout`) instead of holding a connection, a buffer and
 * possibly an upstream connection forever. The deadline restarts with every
 * chunk, so a slow but steady upload is never cut.
 * @module
 */
import type { DeadlineTimer } from "./deadline_timer.ts";

/** The client stopped sending its request body; the handler answers 408. */
export class ClientBodyTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`Cannot read the request body: no bytes arrived for ${timeoutMs} ms`);
    this.name = "ClientBodyTimeoutError";
  }
}

/** A watched body and whether its deadline passed. */
export interface WatchedBody {
  body: ReadableStream<Uint8Array>;
  /** True once the client stalled longer than the deadline. */
  timedOut(): boolean;
}

/**
 * Wraps `body` so that each read must complete within `timeoutMs`; past it,
 * the stream errors with {@linkcode ClientBodyTimeoutError} and the client's
 * stream is cancelled.
 *
 * @example
 * ```ts
 * import { watchClientBody } from "./client_body.ts";
 * import { createDeadlineTimer } from "./deadline_timer.ts";
 * declare const request: Request;
 * const watched = watchClientBody(request.body!, 30_000, createDeadlineTimer());
 * await new Response(watched.body).arrayBuffer(); // throws after 30 s of silence
 * ```
 */
export function watchClientBody(
  body: ReadableStream<Uint8Array>,
  timeoutMs: number,
  deadlines: DeadlineTimer,
): WatchedBody {
  const reader = body.getReader();
  let timedOut = false;
  const watched = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const deadline = deadlines.arm(timeoutMs, () => {
        timedOut = true;
        const error = new ClientBodyTimeoutError(timeoutMs);
        reader.cancel(error).catch(() => {});
        try {
          controller.error(error);
        } catch {
          // Already closed or errored.
        }
      });
      try {
        const { value, done } = await reader.read();
        if (timedOut) return;
        if (done) controller.close();
        else controller.enqueue(value);
      } catch (error) {
        if (!timedOut) controller.error(error);
      } finally {
        deadline.cancel();
      }
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
  return { body: watched, timedOut: () => timedOut };
}
