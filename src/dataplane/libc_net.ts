/**
 * libc's socket and epoll calls through FFI (`libc.ts` opens them), for the
 * socket layer of `libc_reactor.ts`, `libc_socket.ts` and
 * `libc_listener.ts`, with errno and its `Deno.errors` classes.
 *
 * Every call that runs on the JavaScript thread is a synchronous FFI call
 * that V8 can make a fast call of: parameters and results are i32, u32 or
 * buffers. A `size_t` parameter would take V8's slow path (~200 against ~20
 * ns a call here), so on x86_64 lengths go as u32, which reach the callee
 * zero-extended (a 32-bit register write clears the upper half); elsewhere
 * they go as `usize`, correct at the slow path's price. Results are i32:
 * ssize_t's low half, exact below 2 GiB, and every length is checked against
 * what was asked. One `epoll_wait` is `nonblocking` (a pool thread runs it,
 * a promise gives its count), the other the same call on this thread, to
 * poll with a zero timeout.
 *
 * errno is per thread and every call that sets it here runs on this one; it
 * is copied out by libc's own `memcpy` from `__errno_location()`, since
 * reading the pointer from JavaScript (`UnsafePointerView`) needs FFI
 * permission beyond libc's path.
 *
 * @example
 * ```ts
 * import { libcNet } from "./libc_net.ts";
 * const net = libcNet();
 * if ("problem" in net) console.log(net.problem);
 * ```
 * @module
 */
import { openLibc } from "./libc.ts";

const len = Deno.build.arch === "x86_64" ? "u32" : "usize";

const SYMBOLS = {
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
  getsockopt: { parameters: ["i32", "i32", "i32", "buffer", "buffer"], result: "i32" },
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  listen: { parameters: ["i32", "i32"], result: "i32" },
  accept4: { parameters: ["i32", "buffer", "buffer", "i32"], result: "i32" },
  connect: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  getpeername: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  recv: { parameters: ["i32", "buffer", len, "i32"], result: "i32" },
  send: { parameters: ["i32", "buffer", len, "i32"], result: "i32" },
  read: { parameters: ["i32", "buffer", len], result: "i32" },
  write: { parameters: ["i32", "buffer", len], result: "i32" },
  shutdown: { parameters: ["i32", "i32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  epoll_create1: { parameters: ["i32"], result: "i32" },
  epoll_ctl: { parameters: ["i32", "i32", "i32", "buffer"], result: "i32" },
  epoll_wait: { parameters: ["i32", "buffer", "i32", "i32"], result: "i32", nonblocking: true },
  epoll_poll: { name: "epoll_wait", parameters: ["i32", "buffer", "i32", "i32"], result: "i32" },
  eventfd: { parameters: ["u32", "i32"], result: "i32" },
  poll: { parameters: ["buffer", len, "i32"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
  memcpy: { parameters: ["buffer", "pointer", "u32"], result: "void" },
} as const satisfies Deno.ForeignLibraryInterface;

/** The calls, as `Deno.dlopen` gives them. */
export type LibcNetSymbols = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

/** The opened calls and this thread's errno. */
export interface LibcNet {
  readonly c: LibcNetSymbols;
  /** errno as the last failed call on this thread left it. */
  errno(): number;
}

let opened: LibcNet | { problem: string } | undefined;

/** The isolate's libc socket calls (opened once), or why they cannot be had. */
export function libcNet(): LibcNet | { problem: string } {
  if (opened !== undefined) return opened;
  const libc = openLibc(SYMBOLS);
  if ("problem" in libc) return opened = { problem: libc.problem };
  const c = libc.symbols;
  const at = c.__errno_location();
  const copy = new Int32Array(1);
  return opened = {
    c,
    errno: () => {
      c.memcpy(copy, at, 4);
      return copy[0];
    },
  };
}

export const AF_INET = 2;
export const AF_INET6 = 10;
export const SOCK_STREAM = 1;
export const SOCK_NONBLOCK = 0o4000;
/** Also O_CLOEXEC, EFD_CLOEXEC and EPOLL_CLOEXEC. */
export const SOCK_CLOEXEC = 0o2000000;
export const SOL_SOCKET = 1;
export const SO_REUSEADDR = 2;
export const SO_ERROR = 4;
export const SO_KEEPALIVE = 9;
export const SO_REUSEPORT = 15;
export const IPPROTO_TCP = 6;
export const IPPROTO_IPV6 = 41;
export const IPV6_V6ONLY = 26;
export const TCP_NODELAY = 1;
export const MSG_NOSIGNAL = 0x4000;
export const SHUT_WR = 1;
export const POLLIN = 0x1;
export const EPOLLIN = 0x1;
export const EPOLLOUT = 0x4;
export const EPOLLERR = 0x8;
export const EPOLLHUP = 0x10;
export const EPOLLRDHUP = 0x2000;
export const EPOLLET = 0x80000000;
export const EPOLL_CTL_ADD = 1;
export const EPOLL_CTL_DEL = 2;
export const EINTR = 4;
export const EAGAIN = 11;
export const EINPROGRESS = 115;

/**
 * Where an epoll_event's fields are, in 32-bit words: `struct epoll_event`
 * is packed on x86_64 (u32 events, u64 data at byte 4: 12 bytes) and
 * naturally aligned elsewhere (data at byte 8: 16 bytes). The data's low
 * word is the fd, its high word the registration's generation.
 */
export function epollEventLayout(arch: string): { words: number; dataWord: number } {
  return arch === "x86_64" ? { words: 3, dataWord: 1 } : { words: 4, dataWord: 2 };
}

/** errno's class, name and text for the errors the data plane tells apart. */
const ERRORS: Record<number, [new (message: string) => Error, string, string]> = {
  13: [Deno.errors.PermissionDenied, "EACCES", "Permission denied"],
  23: [Error, "ENFILE", "Too many open files in system"],
  24: [Error, "EMFILE", "Too many open files"],
  32: [Deno.errors.BrokenPipe, "EPIPE", "Broken pipe"],
  98: [Deno.errors.AddrInUse, "EADDRINUSE", "Address already in use"],
  99: [Deno.errors.AddrNotAvailable, "EADDRNOTAVAIL", "Cannot assign requested address"],
  101: [Deno.errors.NetworkUnreachable, "ENETUNREACH", "Network is unreachable"],
  103: [Deno.errors.ConnectionAborted, "ECONNABORTED", "Software caused connection abort"],
  104: [Deno.errors.ConnectionReset, "ECONNRESET", "Connection reset by peer"],
  107: [Deno.errors.NotConnected, "ENOTCONN", "Transport endpoint is not connected"],
  110: [Deno.errors.TimedOut, "ETIMEDOUT", "Connection timed out"],
  111: [Deno.errors.ConnectionRefused, "ECONNREFUSED", "Connection refused"],
  113: [Deno.errors.NetworkUnreachable, "EHOSTUNREACH", "No route to host"],
};

/**
 * The error Deno's own sockets throw for `errno`: the same class, the same
 * `... (os error N)` message (which `isOutOfDescriptors` reads) and `code`.
 */
export function errnoError(errno: number, action?: string): Error {
  const [Class, code, text] = ERRORS[errno] ?? [Error, undefined, "Socket call failed"];
  const error = new Class(
    `${action === undefined ? "" : `${action}: `}${text} (os error ${errno})`,
  );
  if (code !== undefined) Object.assign(error, { code });
  return error;
}
