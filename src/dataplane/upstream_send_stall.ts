/**
 * The bound on a backend that takes no more of a request: a write that
 * takes no byte within it closes the upstream connection and fails with a
 * timeout (`--upstream-send-timeout`, nginx's `proxy_send_timeout`).
 *
 * @example
 * ```ts
 * import { sendWithin } from "./upstream_send_stall.ts";
 * import { createDeadlineTimer } from "./deadline_timer.ts";
 * declare const c: Parameters<typeof sendWithin>[0];
 * const n = await sendWithin(c, new Uint8Array(8), { ms: 60_000, timer: createDeadlineTimer() });
 * ```
 * @module
 */
import type { DeadlineTimer } from "./deadline_timer.ts";
import type { SocketWriteNow } from "./socket_write.ts";
import { UpstreamError } from "./upstream_types.ts";

/**
 * The default bound on a backend taking no more of a request
 * (`--upstream-send-timeout`): nginx's `proxy_send_timeout`, 60 s.
 */
export const DEFAULT_UPSTREAM_SEND_TIMEOUT_MS = 60_000;

/**
 * How long a write may wait with no byte taken by the backend before the
 * connection is closed (`ms`; `0`: for ever), on the deadlines of `timer`.
 */
export interface SendStall {
  readonly ms: number;
  readonly timer: DeadlineTimer;
}

/** What {@linkcode sendWithin} writes to: a connection's send, its close and where the stall is kept. */
export interface StallableConnection {
  readonly send: SocketWriteNow;
  stalled: UpstreamError | undefined;
  close(): void;
}

/**
 * One `send` on `c`: the count taken, or a timeout error when it takes
 * nothing for `stall.ms`, which closes `c` and is kept in `c.stalled` for
 * whoever reads the connection next.
 */
export function sendWithin(
  c: StallableConnection,
  bytes: Uint8Array,
  stall: SendStall,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const deadline = stall.timer.arm(stall.ms, () => {
      const error = new UpstreamError(
        "timeout",
        `Upstream took no request bytes for ${stall.ms} ms`,
      );
      c.stalled ??= error;
      reject(error);
      c.close();
    });
    Promise.resolve(c.send(bytes)).then((n) => {
      deadline.cancel();
      resolve(n);
    }, (error) => {
      deadline.cancel();
      reject(error);
    });
  });
}
