/**
 * A TCP connection on a nonblocking libc socket, shaped like the
 * `Deno.TcpConn` the data plane uses (`--sockets libc`): `read` and `write`
 * make their call at once on this thread (a synchronous FFI call, no op, no
 * promise of the runtime's) and wait on the isolate's epoll set
 * (`libc_reactor.ts`) only when the socket would block. A read or write
 * that completes at once costs one system call and one resolved promise;
 * `writeNow` and `readNow` cost none. An owner that watches its socket
 * between reads (a client between requests, a parked backend connection)
 * registers one callback (`onReadable`) that hears each report no waiting
 * read took, and reads with `readNow`: no read left pending, no promise a wait.
 *
 * A read makes no call that can only find nothing: a recv that returned
 * fewer bytes than asked, or `EAGAIN`, saw the queue empty, and what comes
 * after it is a new edge of the epoll set, so the next read waits for that
 * report (a proxy reads just after it sends, and would find nothing almost
 * every time). Once a report says the peer's end or an error is pending,
 * every read makes its call, so the end is read after the last bytes.
 *
 * What callers see is what Deno's sockets give: `read` resolves to the byte
 * count or `null` at the end, `write` to the bytes taken (maybe fewer),
 * errors are the same `Deno.errors` classes with the same `(os error N)`
 * messages, a read or write pending when the connection is closed rejects
 * with `Interrupted`, and any call after the close with `BadResource`.
 * Writes never raise SIGPIPE (`MSG_NOSIGNAL`): a peer gone is `BrokenPipe`
 * or `ConnectionReset`. `readable` and `writable` are made on first use from
 * `read` and `write`. There is no resource id, and `ref`/`unref` do nothing:
 * the reactor keeps the isolate alive while any socket is registered.
 *
 * Sockets are made by `libc_connect.ts` (to a backend) and
 * `libc_listener.ts` (accepted).
 *
 * @example
 * ```ts
 * import type { LibcConn } from "./libc_socket.ts";
 * declare const conn: LibcConn;
 * const n = conn.readNow(new Uint8Array(4096)); // undefined: nothing there now
 * ```
 * @module
 */
import {
  EAGAIN,
  EINTR,
  EPOLLERR,
  EPOLLHUP,
  EPOLLIN,
  EPOLLOUT,
  EPOLLRDHUP,
  errnoError,
  IPPROTO_TCP,
  MSG_NOSIGNAL,
  SHUT_WR,
  SO_ERROR,
  SO_KEEPALIVE,
  SOL_SOCKET,
  TCP_NODELAY,
} from "./libc_net.ts";
import type { LibcReactor, ReadinessOwner } from "./libc_reactor.ts";
import { readSockaddr, SOCKADDR_BYTES } from "./libc_sockaddr.ts";

const READ_READY = EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR;
/**
 * The peer's end or an error is pending. Not `EPOLLHUP` alone: a socket
 * registered before its connect polls hung up until the connect begins.
 */
const PEER_ENDING = EPOLLRDHUP | EPOLLERR;
const WRITE_READY = EPOLLOUT | EPOLLHUP | EPOLLERR;
const STREAM_CHUNK = 16 * 1024;

/** A read or write waiting for readiness. */
interface Waiter<T> {
  bytes: Uint8Array;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

const closedError = () => new Deno.errors.BadResource("Bad resource ID");
const canceledError = () => new Deno.errors.Interrupted("operation canceled");

/** One connected socket; the fd is this object's until {@linkcode close}. */
export class LibcConn implements Deno.TcpConn, ReadinessOwner {
  readonly #reactor: LibcReactor;
  #fd: number;
  #remote: Deno.NetAddr | undefined;
  #local: Deno.NetAddr | undefined;
  #reader: Waiter<number | null> | undefined;
  #writer: Waiter<number> | undefined;
  /** Writes made while one waits, in order (Deno's sockets take concurrent writes too). */
  #queued: Waiter<number>[] = [];
  #connecting: Waiter<void> | undefined;
  #readable: ReadableStream<Uint8Array<ArrayBuffer>> | undefined;
  #writable: WritableStream<Uint8Array> | undefined;
  /** A recv may find bytes: set by every read-ready report, cleared by a recv that saw none left. */
  #mayRead: boolean;
  /** A report said the peer's end or an error is pending: never cleared. */
  #peerEnding = false;
  /** `TCP_NODELAY` as last set here; a call that changes nothing makes no system call. */
  #noDelay: boolean | undefined;
  /** Told of read-ready reports no waiting read took, and of the close ({@linkcode onReadable}). */
  #onReadable: (() => void) | undefined;

  /**
   * Takes `fd` (nonblocking, connected or connecting) and registers it with `reactor`.
   * `mayRead`: the first read makes its call before any report (an accepted socket's
   * request may have come with it; a socket about to connect gets every byte as a report).
   */
  constructor(reactor: LibcReactor, fd: number, remoteAddr?: Deno.NetAddr, mayRead = true) {
    this.#reactor = reactor;
    this.#fd = fd;
    this.#remote = remoteAddr;
    this.#mayRead = mayRead;
    reactor.register(fd, this);
  }

  get remoteAddr(): Deno.NetAddr {
    return this.#remote ??= this.#address("getpeername");
  }

  get localAddr(): Deno.NetAddr {
    return this.#local ??= this.#address("getsockname");
  }

  read(p: Uint8Array): Promise<number | null> {
    if (this.#fd < 0) return Promise.reject(closedError());
    // As Deno's sockets: nothing to read into is 0 at once, whatever the socket holds.
    if (p.length === 0) return Promise.resolve(0);
    if (this.#reader !== undefined) {
      return Promise.reject(new Deno.errors.Busy("Cannot read: a read is pending"));
    }
    if (this.#mayRead) {
      const n = this.#recv(p);
      if (n !== undefined) return n instanceof Error ? Promise.reject(n) : Promise.resolve(n);
    }
    return new Promise((resolve, reject) => this.#reader = { bytes: p, resolve, reject });
  }

  /**
   * {@linkcode read} when it completes at once: the count, `null` at the
   * end, or `undefined` when the socket holds nothing now (or a read waits,
   * which the next bytes go to), and then nothing waits: the next
   * read-ready report goes to {@linkcode onReadable}. No promise either
   * way; errors are thrown, as `read` rejects with them.
   */
  readNow(p: Uint8Array): number | null | undefined {
    if (this.#fd < 0) throw closedError();
    if (p.length === 0) return 0;
    if (this.#reader !== undefined || !this.#mayRead) return undefined;
    const n = this.#recv(p);
    if (n instanceof Error) throw n;
    return n;
  }

  /**
   * Calls `callback` (one per connection, `undefined`: none) on each
   * read-ready report that no waiting read took, and once when the
   * connection closes: an owner that watches its socket between reads (a
   * parked upstream connection, a client between requests) then reads with
   * {@linkcode readNow}, without a promise a wait. A report may be
   * spurious (`readNow` finds nothing, and the next report comes later).
   */
  onReadable(callback: (() => void) | undefined): void {
    this.#onReadable = callback;
  }

  write(p: Uint8Array): Promise<number> {
    if (this.#fd < 0) return Promise.reject(closedError());
    if (this.#writer !== undefined) {
      return new Promise((resolve, reject) => this.#queued.push({ bytes: p, resolve, reject }));
    }
    const n = this.#send(p);
    if (n !== undefined) return n instanceof Error ? Promise.reject(n) : Promise.resolve(n);
    return new Promise((resolve, reject) => this.#writer = { bytes: p, resolve, reject });
  }

  /**
   * {@linkcode write}, with the count itself when the socket takes bytes at
   * once (the common write): no promise, and the caller goes on in the same
   * turn instead of one turn of the microtask queue later.
   */
  writeNow(p: Uint8Array): number | Promise<number> {
    if (this.#fd >= 0 && this.#writer === undefined) {
      const n = this.#send(p);
      if (typeof n === "number") return n;
      if (n !== undefined) return Promise.reject(n);
      return new Promise((resolve, reject) => this.#writer = { bytes: p, resolve, reject });
    }
    return this.write(p);
  }

  close(): void {
    const fd = this.#fd;
    if (fd < 0) throw closedError();
    this.#fd = -1;
    this.#reactor.close(fd);
    const reader = this.#reader;
    const writer = this.#writer;
    const connecting = this.#connecting;
    const queued = this.#queued;
    this.#reader = this.#writer = this.#connecting = undefined;
    this.#queued = [];
    reader?.reject(canceledError());
    writer?.reject(canceledError());
    for (const waiter of queued) waiter.reject(canceledError());
    connecting?.reject(canceledError());
    const onReadable = this.#onReadable;
    this.#onReadable = undefined;
    try {
      onReadable?.();
    } catch {
      // The callback's own failure is its own: the socket is closed all the same.
    }
  }

  closeWrite(): Promise<void> {
    if (this.#fd < 0) return Promise.reject(closedError());
    if (this.#reactor.net.c.shutdown(this.#fd, SHUT_WR) !== 0) {
      return Promise.reject(errnoError(this.#reactor.net.errno()));
    }
    return Promise.resolve();
  }

  setNoDelay(noDelay = true): void {
    if (this.#fd >= 0 && noDelay === this.#noDelay) return;
    this.#setOption(IPPROTO_TCP, TCP_NODELAY, noDelay);
    this.#noDelay = noDelay;
  }

  setKeepAlive(keepAlive = true): void {
    this.#setOption(SOL_SOCKET, SO_KEEPALIVE, keepAlive);
  }

  ref(): void {}

  unref(): void {}

  [Symbol.dispose](): void {
    if (this.#fd >= 0) this.close();
  }

  get readable(): ReadableStream<Uint8Array<ArrayBuffer>> {
    return this.#readable ??= new ReadableStream<Uint8Array<ArrayBuffer>>({
      pull: async (controller) => {
        const chunk = new Uint8Array(STREAM_CHUNK);
        const n = await this.read(chunk);
        if (n === null) controller.close();
        else controller.enqueue(chunk.subarray(0, n));
      },
      cancel: () => this[Symbol.dispose](),
    });
  }

  get writable(): WritableStream<Uint8Array> {
    return this.#writable ??= new WritableStream<Uint8Array>({
      write: async (chunk) => {
        for (let off = 0; off < chunk.length;) {
          off += await this.write(off === 0 ? chunk : chunk.subarray(off));
        }
      },
      close: () => this[Symbol.dispose](),
      abort: () => this[Symbol.dispose](),
    });
  }

  /**
   * The reactor's report for this socket: a waiting call is tried again; a
   * read-ready report with no read waiting lets the next read make its call,
   * and goes to the {@linkcode onReadable} callback.
   */
  ready(events: number): void {
    if (this.#connecting !== undefined && events & WRITE_READY) this.#connected();
    if (events & READ_READY) {
      this.#mayRead = true;
      if (events & PEER_ENDING) this.#peerEnding = true;
      const reader = this.#reader;
      if (reader !== undefined) {
        const n = this.#recv(reader.bytes);
        if (n !== undefined) {
          this.#reader = undefined;
          if (n instanceof Error) reader.reject(n);
          else reader.resolve(n);
        }
      } else this.#onReadable?.();
    }
    if (this.#writer !== undefined && events & WRITE_READY) this.#flush();
  }

  /** The waiting write, then the queued ones, as far as the socket takes them. */
  #flush(): void {
    for (let writer = this.#writer; writer !== undefined && this.#fd >= 0;) {
      const n = this.#send(writer.bytes);
      if (n === undefined) return;
      const done = writer;
      writer = this.#writer = this.#queued.shift();
      if (n instanceof Error) done.reject(n);
      else done.resolve(n);
    }
  }

  /** Waits for a connect begun on this socket; rejects with its error (the socket closed). */
  whenConnected(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#connecting = { bytes: new Uint8Array(0), resolve, reject };
    });
  }

  #connected(): void {
    const waiter = this.#connecting!;
    this.#connecting = undefined;
    const value = new Int32Array(1);
    const length = new Uint32Array([4]);
    const { c, errno } = this.#reactor.net;
    const failed = c.getsockopt(this.#fd, SOL_SOCKET, SO_ERROR, value, length) !== 0
      ? errno()
      : value[0];
    if (failed === 0) return waiter.resolve();
    this.close();
    waiter.reject(errnoError(failed));
  }

  /** recv into `p` (not empty): the count (`null` at the end), the error, or `undefined` when it would block. */
  #recv(p: Uint8Array): number | null | Error | undefined {
    const { c, errno } = this.#reactor.net;
    for (;;) {
      const n = c.recv(this.#fd, p, p.length, 0);
      if (n > 0) {
        if (n > p.length) return new RangeError(`recv gave ${n} bytes for ${p.length} asked`);
        if (n < p.length && !this.#peerEnding) this.#mayRead = false;
        return n;
      }
      if (n === 0) return null;
      const code = errno();
      if (code === EAGAIN) {
        this.#mayRead = false;
        return undefined;
      }
      if (code !== EINTR) return errnoError(code);
    }
  }

  /** send of `p`: the count taken, the error, or `undefined` when it would block. */
  #send(p: Uint8Array): number | Error | undefined {
    if (p.length === 0) return 0;
    const { c, errno } = this.#reactor.net;
    for (;;) {
      const n = c.send(this.#fd, p, p.length, MSG_NOSIGNAL);
      if (n >= 0) {
        if (n > p.length) return new RangeError(`send took ${n} bytes of ${p.length}`);
        return n;
      }
      const code = errno();
      if (code === EAGAIN) return undefined;
      if (code !== EINTR) return errnoError(code);
    }
  }

  #setOption(level: number, option: number, on: boolean): void {
    if (this.#fd < 0) throw closedError();
    const { c, errno } = this.#reactor.net;
    if (c.setsockopt(this.#fd, level, option, new Int32Array([on ? 1 : 0]), 4) !== 0) {
      throw errnoError(errno());
    }
  }

  #address(call: "getpeername" | "getsockname"): Deno.NetAddr {
    if (this.#fd < 0) throw closedError();
    const addr = new Uint8Array(SOCKADDR_BYTES);
    const length = new Uint32Array([SOCKADDR_BYTES]);
    const { c, errno } = this.#reactor.net;
    if (c[call](this.#fd, addr, length) !== 0) throw errnoError(errno());
    return readSockaddr(addr);
  }
}
