/**
 * Our HTTP/1.1 server's watch over a client while its request is in flight.
 * Once the request's body is read (at once for one without), the read of
 * the next head starts while the answer is awaited and written. That read
 * ending the stream (a close, a reset, or a half-close after a complete
 * request, which nginx and Envoy also take for an abort) tells the
 * request's `info` (`client_gone.ts`), which cancels the backend call. It
 * is the read the next head needed anyway, only started sooner: a request
 * costs no read more. Bytes it brings (pipelined requests) stay in the
 * buffer for the next head, and the watch reads on while there is room. A
 * body still being read sees the end in its own reads.
 *
 * @example
 * ```ts
 * import { ClientWatch } from "./h1_client_watch.ts";
 * import { H1Reader } from "./h1_reader.ts";
 * import { RequestCompletion } from "../request_completion.ts";
 * declare const conn: Deno.Conn;
 * const watch = new ClientWatch(new H1Reader(conn, 32 * 1024), () => {});
 * watch.inflight = new RequestCompletion({ transport: "tcp", hostname: "127.0.0.1", port: 1 });
 * watch.readAhead();
 * ```
 * @module
 */
import type { RequestCompletion } from "../request_completion.ts";
import type { H1Reader } from "./h1_reader.ts";

/** The read ahead of one connection and the request it watches. */
export class ClientWatch {
  /** The read of the next head, started while a request was in flight; true when bytes came. */
  ahead: Promise<boolean> | undefined;
  /** The request in flight, told when its client leaves. */
  inflight: RequestCompletion | undefined;
  /**
   * On a libc socket the read ahead is no read left pending but the
   * socket's reports (`LibcConn.onReadable`, one callback a connection):
   * the next head's bytes are read when they come, and a promise is made
   * only if the server waits for them ({@linkcode wait}).
   */
  #watching = false;
  /** The server's wait for the read ahead, told whether bytes came. */
  #wake: ((bytes: boolean) => void) | undefined;

  /** `left` is called when the client of a request in flight left (before its `info` hears). */
  constructor(readonly reader: H1Reader, readonly left: () => void) {
    reader.libc?.onReadable(this.#readable);
  }

  /**
   * What the read of the next head waits on when a read ahead is under way:
   * its outcome (true when bytes came); `undefined` when none is, and the
   * caller reads.
   */
  wait(): Promise<boolean> | undefined {
    if (!this.#watching) return this.ahead;
    return new Promise((resolve) => this.#wake = resolve);
  }

  /**
   * Starts the read of the next head now, so that its end is seen (when
   * there is room: a client that pipelines more than a head's bytes waits
   * in its own window as before).
   */
  readAhead(): void {
    const r = this.reader;
    if (this.ahead !== undefined || this.#watching || r.eof || !r.hasRoom()) return;
    if (r.libc !== undefined) {
      this.#watching = true;
      // Bytes pipelined behind the request may be there already.
      this.#readable();
      return;
    }
    this.ahead = r.read().then(this.#took, this.#lost);
  }

  /** The body of the request in flight was read whole: its client's leaving can be watched. */
  readonly bodyRead = (): void => {
    if (this.inflight !== undefined) this.readAhead();
  };

  /** A report on the libc socket (or its close) while the read ahead watches it. */
  readonly #readable = (): void => {
    if (!this.#watching) return;
    let n: number | null | undefined;
    try {
      n = this.reader.readNow();
    } catch {
      n = undefined;
      this.#watching = false;
    }
    if (this.#watching && n === undefined) return;
    this.#watching = false;
    // Told of this read's outcome, not of a read ahead that `#took` starts again.
    const wake = this.#wake;
    this.#wake = undefined;
    const bytes = n === undefined ? this.#lost() : this.#took(n);
    wake?.(bytes);
  };

  readonly #took = (n: number | null): boolean => {
    this.ahead = undefined;
    if (!this.reader.filled(n)) {
      this.#gone();
      return false;
    }
    // Pipelined bytes: the client may still leave before the request in flight is answered.
    if (this.inflight !== undefined) this.readAhead();
    return true;
  };

  readonly #lost = (): boolean => {
    this.ahead = undefined;
    this.reader.eof = true;
    this.#gone();
    return false;
  };

  #gone(): void {
    const info = this.inflight;
    if (info === undefined) return;
    this.left();
    info.leave();
  }
}
