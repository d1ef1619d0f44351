/**
 * A `node:tls` socket seen as the `Deno.Conn` our HTTP/1.1 server reads and
 * writes (`h1/`): `read`, `write`, `close` and the two addresses, nothing
 * more. A validated client-certificate connection (`tls_client_auth.ts`)
 * is served over it directly, instead of being relayed once more, decrypted,
 * through a loopback connection into the port: that relay cost two more
 * socket writes and reads per exchange in each direction.
 *
 * Memory stays bounded both ways. Reading: the socket is paused once
 * `maxBufferedBytes` wait unread, so a client sending faster than we serve
 * waits in its own TCP window. Writing: a write settles once the socket has
 * taken the bytes on (its callback), so a client that reads slowly holds
 * at most one write and the socket's own buffer.
 *
 * Closing ends the TLS stream (close_notify, then FIN) once queued bytes are
 * out, and destroys the socket at the latest `closeGraceMs` later, so a
 * client that never reads cannot hold it.
 *
 * @example
 * ```ts
 * import { socketConn } from "./tls_socket_conn.ts";
 * import type { TLSSocket } from "node:tls";
 * declare const socket: TLSSocket;
 * const addr: Deno.NetAddr = { transport: "tcp", hostname: "127.0.0.1", port: 443 };
 * const conn = socketConn(socket, { remoteAddr: addr, localAddr: addr });
 * const buffer = new Uint8Array(1024);
 * const n = await conn.read(buffer);
 * conn.close();
 * ```
 * @module
 */
import type { TLSSocket } from "node:tls";

/** Options of {@linkcode socketConn}. */
export interface SocketConnOptions {
  /** The client's address (the socket itself only sees the loopback relay). */
  remoteAddr: Deno.NetAddr;
  /** The port's public address. */
  localAddr: Deno.NetAddr;
  /** Unread bytes past which the socket stops reading. Default 64 KiB. */
  maxBufferedBytes?: number;
  /** Longest wait for queued bytes to leave after `close`, in ms. Default 5 000. */
  closeGraceMs?: number;
}

/**
 * `socket` as a `Deno.Conn` for the HTTP/1.1 server. Only `read`, `write`,
 * `close`, `closeWrite` and the addresses are meaningful; the rest throw or
 * do nothing.
 */
export function socketConn(socket: TLSSocket, options: SocketConnOptions): Deno.Conn {
  return new SocketConn(socket, options) as unknown as Deno.Conn;
}

/** The socket's unread chunks and its end state, in named fields. */
class SocketConn {
  readonly remoteAddr: Deno.NetAddr;
  readonly localAddr: Deno.NetAddr;
  readonly #socket: TLSSocket;
  readonly #max: number;
  readonly #graceMs: number;
  readonly #chunks: Uint8Array[] = [];
  #buffered = 0;
  #paused = false;
  /** The peer ended its side, or the socket closed. */
  #ended = false;
  #error: Error | undefined;
  #closed = false;
  #wake: (() => void) | undefined;

  constructor(socket: TLSSocket, options: SocketConnOptions) {
    this.#socket = socket;
    this.remoteAddr = options.remoteAddr;
    this.localAddr = options.localAddr;
    this.#max = options.maxBufferedBytes ?? 64 * 1024;
    this.#graceMs = options.closeGraceMs ?? 5_000;
    socket.on("data", (chunk: Uint8Array) => {
      this.#chunks.push(chunk);
      this.#buffered += chunk.length;
      if (this.#buffered >= this.#max && !this.#paused) {
        this.#paused = true;
        socket.pause();
      }
      this.#wakeReader();
    });
    const ended = () => {
      this.#ended = true;
      this.#wakeReader();
    };
    socket.on("end", ended);
    socket.on("close", ended);
    socket.on("error", (error: Error) => {
      this.#error ??= error;
      socket.destroy();
      ended();
    });
  }

  get rid(): number {
    throw new TypeError("Cannot read the resource id of a TLS socket: it has none");
  }

  async read(buffer: Uint8Array): Promise<number | null> {
    while (this.#chunks.length === 0) {
      if (this.#closed) throw new Deno.errors.BadResource("Cannot read: the connection is closed");
      if (this.#error !== undefined) throw this.#error;
      if (this.#ended) return null;
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
    let n = 0;
    while (n < buffer.length && this.#chunks.length > 0) {
      const chunk = this.#chunks[0];
      const take = Math.min(chunk.length, buffer.length - n);
      buffer.set(take === chunk.length ? chunk : chunk.subarray(0, take), n);
      n += take;
      if (take === chunk.length) this.#chunks.shift();
      else this.#chunks[0] = chunk.subarray(take);
    }
    this.#buffered -= n;
    if (this.#paused && this.#buffered < this.#max / 2) {
      this.#paused = false;
      this.#socket.resume();
    }
    return n;
  }

  write(bytes: Uint8Array): Promise<number> {
    const socket = this.#socket;
    if (this.#closed || socket.destroyed || !socket.writable) {
      return Promise.reject(new Deno.errors.BrokenPipe("Cannot write: the connection is closed"));
    }
    return new Promise((resolve, reject) => {
      // Until the callback the socket may still hold `bytes`: the caller
      // must not reuse them, which is what waiting for it guarantees.
      socket.write(bytes, (error?: Error | null) => error ? reject(error) : resolve(bytes.length));
    });
  }

  closeWrite(): Promise<void> {
    return new Promise((resolve) => this.#socket.end(resolve));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#wakeReader();
    const socket = this.#socket;
    if (socket.destroyed) return;
    const timer = setTimeout(() => socket.destroy(), this.#graceMs);
    socket.once("close", () => clearTimeout(timer));
    // Ends the TLS stream after what is queued, then lets the socket go.
    socket.end(() => socket.destroy());
  }

  setNoDelay(): void {}
  setKeepAlive(): void {}
  ref(): void {}
  unref(): void {}

  [Symbol.dispose](): void {
    this.close();
  }

  #wakeReader(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
