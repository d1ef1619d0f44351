/**
 * A listening libc socket shaped like the `Deno.Listener` the connection
 * server takes (`connection_server.ts`), for plain HTTP ports served by our
 * own HTTP/1.1 server with `--sockets libc`: `accept` takes the next
 * connection with `accept4` (nonblocking, close-on-exec) at once when one
 * is queued, else when the epoll set (`libc_reactor.ts`) says one came.
 *
 * As `Deno.listen` does: `SO_REUSEADDR`, and `SO_REUSEPORT` when workers
 * share the port; an IPv6 address also takes IPv4 clients (the system's
 * default, which Deno's listener keeps); binding a port in use throws
 * `AddrInUse`; `accept` after `close`, and an `accept` pending when the
 * listener closes, reject with `BadResource`; running out of descriptors
 * rejects with the `EMFILE` error Deno's accept gives (`os error 24`), which
 * the connection server sheds load on and retries.
 *
 * @example
 * ```ts
 * import { libcListen } from "./libc_listener.ts";
 * const listener = libcListen({ hostname: "127.0.0.1", port: 0 });
 * if (!("problem" in listener)) listener.close();
 * ```
 * @module
 */
import {
  EAGAIN,
  EINTR,
  errnoError,
  SO_REUSEADDR,
  SO_REUSEPORT,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  SOCK_STREAM,
  SOL_SOCKET,
} from "./libc_net.ts";
import { type LibcReactor, libcReactor, type ReadinessOwner } from "./libc_reactor.ts";
import { familyOf, readSockaddr, SOCKADDR_BYTES, sockaddrOf } from "./libc_sockaddr.ts";
import { LibcConn } from "./libc_socket.ts";

/** Connections the kernel queues before `accept` (nginx's default backlog on Linux). */
const BACKLOG = 511;

/** What {@linkcode libcListen} takes. */
export interface LibcListenOptions {
  /** An IP literal (`0.0.0.0`, `::`, `127.0.0.1`). */
  hostname: string;
  port: number;
  reusePort?: boolean;
}

const listenerClosed = () => new Deno.errors.BadResource("Listener has been closed");

/** A bound, listening socket; accepted connections are {@linkcode LibcConn}s. */
export class LibcListener implements Deno.Listener<Deno.TcpConn, Deno.NetAddr>, ReadinessOwner {
  readonly addr: Deno.NetAddr;
  readonly #reactor: LibcReactor;
  #fd: number;
  #waiter: PromiseWithResolvers<Deno.TcpConn> | undefined;
  readonly #peer = new Uint8Array(SOCKADDR_BYTES);
  readonly #peerLength = new Uint32Array(1);

  constructor(reactor: LibcReactor, fd: number, addr: Deno.NetAddr) {
    this.#reactor = reactor;
    this.#fd = fd;
    this.addr = addr;
    reactor.register(fd, this);
  }

  accept(): Promise<Deno.TcpConn> {
    if (this.#fd < 0) return Promise.reject(listenerClosed());
    if (this.#waiter !== undefined) {
      return Promise.reject(new Deno.errors.Busy("Cannot accept: an accept is pending"));
    }
    const taken = this.#accept();
    if (taken !== undefined) {
      return taken instanceof Error ? Promise.reject(taken) : Promise.resolve(taken);
    }
    this.#waiter = Promise.withResolvers<Deno.TcpConn>();
    return this.#waiter.promise;
  }

  close(): void {
    const fd = this.#fd;
    if (fd < 0) throw listenerClosed();
    this.#fd = -1;
    this.#reactor.close(fd);
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.reject(listenerClosed());
  }

  ready(): void {
    const waiter = this.#waiter;
    if (waiter === undefined) return;
    const taken = this.#accept();
    if (taken === undefined) return;
    this.#waiter = undefined;
    if (taken instanceof Error) waiter.reject(taken);
    else waiter.resolve(taken);
  }

  ref(): void {}

  unref(): void {}

  [Symbol.dispose](): void {
    if (this.#fd >= 0) this.close();
  }

  async *[Symbol.asyncIterator](): AsyncIterableIterator<Deno.TcpConn> {
    for (;;) {
      try {
        yield await this.accept();
      } catch (error) {
        if (error instanceof Deno.errors.BadResource) return;
        throw error;
      }
    }
  }

  /** The next queued connection, its error, or `undefined` when none is queued. */
  #accept(): LibcConn | Error | undefined {
    const { c, errno } = this.#reactor.net;
    for (;;) {
      this.#peerLength[0] = SOCKADDR_BYTES;
      const fd = c.accept4(this.#fd, this.#peer, this.#peerLength, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd >= 0) {
        const conn = new LibcConn(this.#reactor, fd, readSockaddr(this.#peer));
        // As Deno.serve does for its connections; the connection server's own ask then makes no call.
        try {
          conn.setNoDelay(true);
        } catch {
          // The client is gone already; serving it fails on its own.
        }
        return conn;
      }
      const code = errno();
      if (code === EAGAIN) return undefined;
      // A connection reset while queued is not the listener's failure: take the next.
      if (code === EINTR || code === 103) continue;
      return errnoError(code, "Cannot accept");
    }
  }
}

/**
 * Binds and listens on `hostname:port` with libc's sockets; the listener,
 * or why libc's sockets cannot serve (no libc, a hostname that is not an IP
 * literal). Throws Deno's error when the bind fails (`AddrInUse`, ...).
 */
export function libcListen(options: LibcListenOptions): LibcListener | { problem: string } {
  const addr = sockaddrOf(options.hostname, options.port);
  if (addr === undefined) {
    return { problem: `the listen address ${options.hostname} is not an IP literal` };
  }
  const reactor = libcReactor();
  if ("problem" in reactor) return reactor;
  const { c, errno } = reactor.net;
  const fd = c.socket(familyOf(addr), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw errnoError(errno());
  const one = new Int32Array([1]);
  const fail = (action: string): never => {
    const error = errnoError(errno(), action);
    c.close(fd);
    throw error;
  };
  if (c.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, one, 4) !== 0) fail("Cannot set SO_REUSEADDR");
  if (options.reusePort && c.setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, one, 4) !== 0) {
    fail("Cannot set SO_REUSEPORT");
  }
  if (c.bind(fd, addr, addr.length) !== 0) fail(`Cannot bind ${options.hostname}:${options.port}`);
  if (c.listen(fd, BACKLOG) !== 0) fail("Cannot listen");
  const bound = new Uint8Array(SOCKADDR_BYTES);
  if (c.getsockname(fd, bound, new Uint32Array([SOCKADDR_BYTES])) !== 0) {
    fail("Cannot read the bound address");
  }
  return new LibcListener(reactor, fd, readSockaddr(bound));
}
