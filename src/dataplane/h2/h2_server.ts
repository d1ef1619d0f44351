/**
 * Serves one accepted connection (TCP, or TLS that negotiated `h2`) with the
 * gateway's own HTTP/2 server (`h2_connection.ts`): it sends response
 * trailers, gRPC's status among them, which Deno 2.9.6's HTTP engine cannot,
 * and serves GET and HEAD streams through the port's fast path (`h2_fast.ts`).
 *
 * The socket side is small: a read loop feeds the connection, and a writer
 * writes what the connection hands it (a turn's frames, `h2_frame_writer.ts`),
 * joining what piled up during a write into the next `write` call.
 * Reading pauses while more than `maxBufferedOutput` bytes wait to be
 * written, so a client that sends but never reads cannot make us queue
 * answers without bound.
 *
 * Client timeouts (the preface and first request, idle connections) are the
 * port's ordinary ones: the connection server watches each stream as a
 * request (`client_timeouts.ts`) and drops the connection, with a GOAWAY,
 * when a deadline passes.
 * @module
 */
import type { Logger } from "../../log/logger.ts";
import type { Clock } from "../../time/clock.ts";
import type { ConnectionHandler, ServedConnection } from "../serve_connection.ts";
import type { FieldsHandler } from "../field_headers.ts";
import { H2Connection, type H2Transport } from "./h2_connection.ts";
import { concatBytes } from "./h2_frames.ts";
import { DEFAULT_H2_LIMITS, type H2Limits } from "./h2_limits.ts";
import { socketReader, type SocketWrite, socketWriter } from "../socket_read.ts";

/**
 * How long the end of a connection may take: the last frames (a GOAWAY)
 * being written, then the client's own close awaited while what it still
 * sends is read and dropped. After that the socket closes anyway.
 */
const END_GRACE_MS = 1000;

/** Options of {@linkcode serveH2}. */
export interface ServeH2Options {
  handler: ConnectionHandler;
  /** The port's fast path for GET and HEAD streams (`h2_fast.ts`); absent: every stream takes `handler`. */
  fields?: FieldsHandler;
  onError: (error: unknown) => Response | Promise<Response>;
  /** `http` or `https`: the scheme of the request URLs. */
  scheme: "http" | "https";
  limits?: Partial<H2Limits>;
  clock?: Clock;
  logger?: Logger;
  /** Told once when a connection ends with an error code other than NO_ERROR. */
  onConnectionError?: (code: number, reason: string) => void;
}

/** A transport over a `Deno.Conn` that writes queued frames in batches. */
class ConnTransport implements H2Transport {
  #queue: Uint8Array[] = [];
  #bytes = 0;
  #writing = false;
  #ending = false;
  #closed = false;
  #waiters: (() => void)[] = [];
  readonly closedPromise: Promise<void>;
  #resolveClosed!: () => void;
  /** The socket's write without `Conn.write`'s wrapper (`socket_read.ts`). */
  readonly #write: SocketWrite;

  constructor(readonly conn: Deno.Conn, readonly maxBuffered: number) {
    this.closedPromise = new Promise((resolve) => this.#resolveClosed = resolve);
    this.#write = socketWriter(conn);
  }

  write(bytes: Uint8Array): void {
    if (this.#closed || this.#ending) return;
    this.#queue.push(bytes);
    this.#bytes += bytes.length;
    if (!this.#writing) {
      this.#writing = true;
      // The connection hands over a turn's frames at once: they go out now, in one write.
      void this.#flush();
    }
  }

  buffered(): number {
    return this.#bytes;
  }

  ready(): Promise<void> {
    if (this.#bytes <= this.maxBuffered || this.#closed) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /**
   * Ends the connection gracefully: the queued frames are written, then the
   * write side is shut (the client reads its end after our last frame) and
   * the socket stays open, its input read and dropped (`readLoop`), until
   * the client closes too or {@linkcode END_GRACE_MS} pass. Closing at once
   * would make the kernel answer anything the client sent meanwhile (a PING
   * after its GOAWAY, the rest of a request) with a reset, which may reach
   * the client before it read our last frames.
   */
  end(): void {
    if (this.#ending || this.#closed) return;
    this.#ending = true;
    // A client that stopped reading, or never closes, must not hold the socket open.
    const timer = setTimeout(() => this.close(), END_GRACE_MS);
    Deno.unrefTimer(timer);
    void this.closedPromise.then(() => clearTimeout(timer));
    if (!this.#writing) this.#shutWrite();
  }

  get closed(): boolean {
    return this.#closed;
  }

  #shutWrite(): void {
    const conn = this.conn as Partial<Deno.TcpConn>;
    if (typeof conn.closeWrite !== "function") return this.close();
    conn.closeWrite().catch(() => this.close());
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue = [];
    this.#bytes = 0;
    try {
      this.conn.close();
    } catch {
      // Already closed.
    }
    this.#release();
    this.#resolveClosed();
  }

  async #flush(): Promise<void> {
    try {
      while (this.#queue.length > 0 && !this.#closed) {
        const chunk = this.#take();
        let offset = 0;
        while (offset < chunk.length) {
          offset += await this.#write(offset === 0 ? chunk : chunk.subarray(offset));
        }
        this.#bytes -= chunk.length;
        if (this.#bytes <= this.maxBuffered) this.#release();
      }
    } catch {
      // The client is gone: nothing more can be written.
      return this.close();
    } finally {
      this.#writing = false;
    }
    if (this.#ending && !this.#closed) this.#shutWrite();
  }

  #take(): Uint8Array {
    const queue = this.#queue;
    this.#queue = [];
    return queue.length === 1 ? queue[0] : concatBytes(queue);
  }

  #release(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}

/**
 * Serves `conn` as HTTP/2; `first` holds bytes already read from it (the
 * preface, when a port sniffed for it).
 *
 * @example
 * ```ts
 * import { serveH2 } from "./h2_server.ts";
 * declare const conn: Deno.Conn;
 * const served = serveH2(conn, new Uint8Array(0), {
 *   handler: () => new Response("hello"),
 *   onError: () => new Response("Internal error\n", { status: 500 }),
 *   scheme: "http",
 * });
 * await served.finished;
 * ```
 */
export function serveH2(
  conn: Deno.Conn,
  first: Uint8Array,
  options: ServeH2Options,
): ServedConnection {
  const maxBuffered = options.limits?.maxBufferedOutput ?? DEFAULT_H2_LIMITS.maxBufferedOutput;
  const transport = new ConnTransport(conn, maxBuffered);
  const h2 = new H2Connection({
    ...options,
    remoteAddr: conn.remoteAddr as Deno.NetAddr,
    transport,
  });
  let closed = false;
  const finished = Promise.all([h2.finished, transport.closedPromise]).then(() => {
    closed = true;
  });
  void readLoop(conn, first, h2, transport);
  return {
    finished,
    get closed() {
      return closed;
    },
    shutdown: () => h2.shutdown().then(() => transport.closedPromise),
    close: () => h2.close(),
  };
}

async function readLoop(
  conn: Deno.Conn,
  first: Uint8Array,
  h2: H2Connection,
  transport: ConnTransport,
): Promise<void> {
  if (first.length > 0) h2.receive(first);
  const buffer = new Uint8Array(64 * 1024);
  // Without `Conn.read`'s wrapper (`socket_read.ts`), whose end is `0`.
  const read = socketReader(conn);
  // Once the connection ended itself, input is read and dropped until the
  // client closes or the transport gives up (`ConnTransport.end`).
  while (!transport.closed) {
    if (!h2.closed && transport.buffered() > transport.maxBuffered) await transport.ready();
    let n: number | null;
    try {
      n = await read(buffer);
    } catch {
      n = null;
    }
    if (n === null || n === 0) {
      if (!h2.closed) h2.endOfInput();
      return transport.close();
    }
    if (!h2.closed) h2.receive(buffer.subarray(0, n));
  }
}
