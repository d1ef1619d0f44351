/**
 * The request body as the gateway reads it from a client, with a progress
 * deadline: a client that stops sending its body for `timeoutMs` gets 408
 * (`--client-body-timeout`) instead of holding a connection, a buffer and
 * possibly an upstream connection forever. The deadline restarts with every
 * chunk, so a slow but steady upload is never cut.
 *
 * Memory: Deno reads a streamed request body into a new 64 KiB buffer per
 * read, and a read waiting on a stalled client holds its buffer. The body of
 * a request whose bytes had not all arrived with its head is a byte stream,
 * so it is read here into our own buffers instead: 4 KiB while the client
 * trickles, 64 KiB once a read fills the small one (bulk uploads).
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
  const reader = smallBufferReader(body);
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

const SMALL_READ = 4096;
const LARGE_READ = 65536;

/** A default-style reader over `body`, reading into small buffers when it is a byte stream. */
function smallBufferReader(body: ReadableStream<Uint8Array>): {
  read(): Promise<ReadableStreamReadResult<Uint8Array>>;
  cancel(reason?: unknown): Promise<void>;
} {
  let byob: ReadableStreamBYOBReader;
  try {
    byob = body.getReader({ mode: "byob" });
  } catch {
    // Not a byte stream (a body that arrived whole with its head): nothing is pending.
    return body.getReader();
  }
  let size = SMALL_READ;
  return {
    async read() {
      const result = await byob.read(new Uint8Array(size));
      const n = result.value?.length ?? 0;
      if (n === size && size < LARGE_READ) size = LARGE_READ;
      else if (n < SMALL_READ) size = SMALL_READ;
      if (result.done) return { done: true, value: undefined };
      return { done: false, value: result.value! };
    },
    cancel: (reason) => byob.cancel(reason),
  };
}
