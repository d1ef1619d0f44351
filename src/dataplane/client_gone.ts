/**
 * A client that goes away cancels its backend call. Each server says when
 * the client of a request in flight left (our HTTP/1.1 server: its socket
 * ended or failed; our HTTP/2 server: the stream was reset or the
 * connection dropped; Deno's engine: the request's `signal` aborted) through
 * a {@linkcode ClientGone}, which the upstream clients listen to: an
 * HTTP/1.1 backend connection is closed (never parked half-read), an HTTP/2
 * stream is reset with CANCEL. The call then fails with
 * {@linkcode ClientGoneError}, the client's doing: answered 499 (nginx's
 * status for a client that closed the request), never retried, never
 * counted as an upstream error.
 *
 * A listener is an object with a method, not a closure: our HTTP/1.1
 * server's fast path registers one per request, and the upstream call
 * object already exists.
 *
 * @example
 * ```ts
 * import { ClientLeaving } from "./client_gone.ts";
 * const client = new ClientLeaving();
 * client.onGone({ clientGone: () => console.log("cancel the backend call") });
 * client.leave(); // cancel the backend call
 * ```
 * @module
 */
import { ClientBodyError } from "./request_body.ts";

/** Told once that the client of a request in flight went away. */
export interface GoneListener {
  clientGone(): void;
}

/** Whether the client of a request is still there, and whom to tell when it leaves. */
export interface ClientGone {
  /** The client already left. */
  readonly gone: boolean;
  /** Tells `listener` when the client leaves (at once when it has). */
  onGone(listener: GoneListener): void;
}

/** The call was cancelled because its client went away (answered 499, never retried). */
export class ClientGoneError extends ClientBodyError {
  constructor() {
    super("The client went away before the answer");
    this.name = "ClientGoneError";
  }
}

/**
 * A {@linkcode ClientGone} its server sets off with {@linkcode leave}.
 * Most requests get one listener (the upstream call), held without an array.
 */
export class ClientLeaving implements ClientGone {
  #gone = false;
  #first: GoneListener | undefined;
  #more: GoneListener[] | undefined;

  get gone(): boolean {
    return this.#gone;
  }

  onGone(listener: GoneListener): void {
    if (this.#gone) return tell(listener);
    if (this.#first === undefined) this.#first = listener;
    else (this.#more ??= []).push(listener);
  }

  /** The client left: tells every listener once. Idempotent. */
  leave(): void {
    if (this.#gone) return;
    this.#gone = true;
    const first = this.#first;
    const more = this.#more;
    this.#first = this.#more = undefined;
    if (first !== undefined) tell(first);
    if (more !== undefined) { for (const listener of more) tell(listener); }
  }
}

/** A listener's failure must not keep the others from hearing, nor reach the server. */
function tell(listener: GoneListener): void {
  try {
    listener.clientGone();
  } catch {
    // Listeners do not throw; one that did has nothing left to cancel.
  }
}

/** A `Request`'s signal seen as a {@linkcode ClientGone} (Deno's engine, our HTTP/2 server's `Request` path). */
class SignalGone implements ClientGone {
  constructor(readonly signal: AbortSignal) {}

  get gone(): boolean {
    return this.signal.aborted;
  }

  onGone(listener: GoneListener): void {
    if (this.signal.aborted) return tell(listener);
    this.signal.addEventListener("abort", () => tell(listener), { once: true });
  }
}

/**
 * The {@linkcode ClientGone} of `request`: its own when its server made one
 * (`client`), else one over its `signal` when it has one; `undefined`: the
 * client's leaving is not seen (the call runs to its end or its timeout).
 */
export function clientOf(
  request: { readonly client?: ClientGone; readonly signal?: AbortSignal },
): ClientGone | undefined {
  const own = request.client;
  if (own !== undefined) return own;
  const signal = request.signal;
  return signal === undefined ? undefined : new SignalGone(signal);
}
