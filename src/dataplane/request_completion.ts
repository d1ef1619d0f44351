/**
 * The `info` our HTTP/1.1 server hands the handler with each request: the
 * client's address, `completed`, which settles once the answer is out, and
 * `trailers`, whether the answer's trailers reach the client
 * (`response_trailers.ts`).
 * Every request's answer is watched (client timeouts, `connection_server.ts`)
 * but few ever read `completed` itself, so the promise is made only when
 * read, and a watcher that goes through {@linkcode whenCompleted} is called
 * back without one: a promise, its two closures and a reaction less per
 * request. It is also the request's {@linkcode ClientLeaving}: the server
 * calls `leave` when the client goes away with the request in flight, which
 * cancels the backend call (`client_gone.ts`).
 *
 * @example
 * ```ts
 * import { RequestCompletion, whenCompleted } from "./request_completion.ts";
 * const info = new RequestCompletion({ transport: "tcp", hostname: "127.0.0.1", port: 40000 });
 * whenCompleted(info, () => console.log("answered"));
 * info.complete(); // answered
 * ```
 * @module
 */
import { ClientLeaving } from "./client_gone.ts";
import type { TrailerDelivery } from "./response_trailers.ts";

/** A request's `info` that says when its answer is out, and when its client left before. */
export class RequestCompletion extends ClientLeaving
  implements Deno.ServeHandlerInfo<Deno.NetAddr>, TrailerDelivery {
  readonly remoteAddr: Deno.NetAddr;
  readonly trailers: boolean;
  #done = false;
  /** The one callback most requests get, then any more. */
  #first: (() => void) | undefined;
  #more: (() => void)[] | undefined;
  #promise: Promise<void> | undefined;

  constructor(remoteAddr: Deno.NetAddr, trailers = false) {
    super();
    this.remoteAddr = remoteAddr;
    this.trailers = trailers;
  }

  /** Settles once the answer is out (made on first read). */
  get completed(): Promise<void> {
    if (this.#promise === undefined) {
      this.#promise = this.#done
        ? Promise.resolve()
        : new Promise<void>((resolve) => this.#then(resolve));
    }
    return this.#promise;
  }

  /** Calls `callback` once the answer is out (at once when it is already). */
  onComplete(callback: () => void): void {
    if (this.#done) callback();
    else this.#then(callback);
  }

  /** The answer is out: calls back everyone waiting. Idempotent. */
  complete(): void {
    if (this.#done) return;
    this.#done = true;
    const first = this.#first;
    const more = this.#more;
    this.#first = undefined;
    this.#more = undefined;
    if (first !== undefined) call(first);
    if (more !== undefined) { for (const callback of more) call(callback); }
  }

  #then(callback: () => void): void {
    if (this.#first === undefined) this.#first = callback;
    else (this.#more ??= []).push(callback);
  }
}

/** A callback's failure must not keep the others from running nor reach the server. */
function call(callback: () => void): void {
  try {
    callback();
  } catch {
    // Watchers do not throw; one that did has nothing to tell the client.
  }
}

/**
 * Calls `callback` once the answer to the request of `info` is out: through
 * {@linkcode RequestCompletion} without a promise, else on `info.completed`.
 */
export function whenCompleted(info: Deno.ServeHandlerInfo, callback: () => void): void {
  if (info instanceof RequestCompletion) info.onComplete(callback);
  else info.completed.then(callback, callback);
}
