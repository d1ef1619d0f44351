/**
 * A connect of a nonblocking libc socket (`libc_socket.ts`) to a backend
 * (`--sockets libc`): the socket is registered with the isolate's epoll
 * set before its connect begins, and the connect's outcome is its first
 * write-ready report.
 *
 * @example
 * ```ts
 * import { libcConnect } from "./libc_connect.ts";
 * const connecting = libcConnect({ hostname: "127.0.0.1", port: 8080 });
 * if (connecting !== undefined) {
 *   const conn = await connecting;
 *   await conn.write(new TextEncoder().encode("GET / HTTP/1.1\r\nhost: a\r\n\r\n"));
 *   conn.close();
 * }
 * ```
 * @module
 */
import {
  EINPROGRESS,
  EINTR,
  errnoError,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  SOCK_STREAM,
} from "./libc_net.ts";
import { type LibcReactor, libcReactor } from "./libc_reactor.ts";
import { familyOf, sockaddrOf } from "./libc_sockaddr.ts";
import { LibcConn } from "./libc_socket.ts";

/** What {@linkcode libcConnect} takes: an IP literal, a port, and what aborts the connect. */
export interface LibcConnectOptions {
  hostname: string;
  port: number;
  signal?: AbortSignal;
}

/**
 * Connects a nonblocking socket to `hostname` (an IP literal) and `port`;
 * `undefined` when libc's sockets cannot do it (a name to resolve, no libc),
 * and the caller uses `Deno.connect`. Rejects with Deno's error classes
 * (`ConnectionRefused`, ...), or the signal's reason once it aborts.
 */
export function libcConnect(options: LibcConnectOptions): Promise<LibcConn> | undefined {
  const addr = sockaddrOf(options.hostname, options.port);
  const reactor = libcReactor();
  if (addr === undefined || "problem" in reactor) return undefined;
  return connectTo(reactor, addr, options);
}

async function connectTo(
  reactor: LibcReactor,
  addr: Uint8Array,
  { hostname, port, signal }: LibcConnectOptions,
): Promise<LibcConn> {
  signal?.throwIfAborted();
  const { c, errno } = reactor.net;
  const fd = c.socket(familyOf(addr), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw errnoError(errno());
  // Registered before the connect: every byte the backend sends is a report, so the first read waits for one.
  const conn = new LibcConn(reactor, fd, { transport: "tcp", hostname, port }, false);
  if (c.connect(fd, addr, addr.length) === 0) return conn;
  const code = errno();
  if (code !== EINPROGRESS && code !== EINTR) {
    conn.close();
    throw errnoError(code);
  }
  const connected = conn.whenConnected();
  if (signal === undefined) {
    await connected;
    return conn;
  }
  const abort = Promise.withResolvers<never>();
  const onAbort = () => abort.reject(signal.reason);
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    await Promise.race([connected, abort.promise]);
    return conn;
  } catch (error) {
    conn[Symbol.dispose]();
    connected.catch(() => {});
    throw error;
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}
