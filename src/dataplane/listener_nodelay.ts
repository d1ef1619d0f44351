/**
 * Nagle's algorithm off on the connections a Deno TLS listener accepts.
 *
 * `Deno.TlsConn` has no `setNoDelay` (Deno 2.9.6), so the connections
 * `Deno.listenTls` accepts keep Nagle's algorithm on: an answer written in
 * more than one piece (a head, then a body that comes later; server-sent
 * events; HTTP/2 frames written apart) holds each later small piece until
 * the client acknowledges the earlier one, and clients delay that
 * acknowledgement by up to about 40 ms. Linux copies `TCP_NODELAY` from a
 * listening socket to the sockets it accepts, so setting it once on the
 * listener turns Nagle off for every connection that listener accepts.
 *
 * Deno does not say which descriptor a listener is, so this looks through
 * the process's descriptors and sets the option on every listening TCP
 * socket bound to the listener's port that lacks it: all of them are the
 * gateway's (a rotation's listeners beside the old ones, each data-plane
 * worker's), and setting it twice is harmless, so workers binding at the same
 * moment cannot miss one. The kernel hands out the lowest free descriptor, so
 * open ones sit together at the bottom: the look stops after
 * {@linkcode CLOSED_RUN} closed descriptors in a row (about 2 ms of calls), or
 * at the descriptor limit. The calls go to libc through FFI, which
 * needs `--allow-ffi` for libc's path (the compiled binary has it, scoped to
 * libc's usual paths; `deno task start` and the tests have it); without it,
 * or on another OS, connections keep Nagle on and {@linkcode disableNagle}
 * says why, once, for a log line.
 * @module
 */
import { openLibc } from "./libc.ts";

// Linux's values, the same on x86_64 and aarch64.
const SOL_SOCKET = 1;
const SO_ACCEPTCONN = 30;
const IPPROTO_TCP = 6;
const TCP_NODELAY = 1;
const AF_INET = 2;
const AF_INET6 = 10;
const RLIMIT_NOFILE = 7;
const F_GETFD = 1;
/** The look through descriptors ends after this many closed ones in a row. */
export const CLOSED_RUN = 4096;

const SYMBOLS = {
  getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  getsockopt: { parameters: ["i32", "i32", "i32", "buffer", "buffer"], result: "i32" },
  setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
  getrlimit: { parameters: ["i32", "buffer"], result: "i32" },
  fcntl: { parameters: ["i32", "i32"], result: "i32" },
} as const;

type Libc = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

let opened: { libc: Libc } | { problem: string } | undefined;

/** libc with the calls this module makes, opened once (or why not). */
function theLibc(): { libc: Libc } | { problem: string } {
  if (opened !== undefined) return opened;
  const found = openLibc(SYMBOLS);
  return opened = "symbols" in found
    ? { libc: found.symbols }
    : { problem: `cannot open libc (${found.problem})` };
}

/** The sockets this process has, read descriptor by descriptor through libc. */
class Sockets {
  readonly #libc: Libc;
  readonly #address = new Uint8Array(128);
  readonly #length = new Uint32Array(1);
  readonly #value = new Int32Array(1);
  readonly #valueLength = new Uint32Array(1);

  constructor(libc: Libc) {
    this.#libc = libc;
  }

  /**
   * Each open descriptor in turn, up to the soft descriptor limit, ending
   * after {@linkcode CLOSED_RUN} closed ones in a row.
   */
  *open(): Generator<number> {
    const limit = new BigUint64Array(2);
    const max = this.#libc.getrlimit(RLIMIT_NOFILE, limit) === 0 && limit[0] < 1n << 31n
      ? Number(limit[0])
      : 1 << 20;
    let closed = 0;
    for (let fd = 0; fd < max && closed < CLOSED_RUN; fd++) {
      if (this.#libc.fcntl(fd, F_GETFD) === -1) {
        closed++;
        continue;
      }
      closed = 0;
      yield fd;
    }
  }

  /** The TCP port `fd` is bound to, or `undefined` for anything but an IPv4/IPv6 socket. */
  port(fd: number): number | undefined {
    this.#length[0] = this.#address.length;
    if (this.#libc.getsockname(fd, this.#address, this.#length) !== 0) return undefined;
    const family = this.#address[0] | (this.#address[1] << 8);
    if (family !== AF_INET && family !== AF_INET6) return undefined;
    return (this.#address[2] << 8) | this.#address[3];
  }

  option(fd: number, level: number, name: number): number | undefined {
    this.#valueLength[0] = 4;
    if (this.#libc.getsockopt(fd, level, name, this.#value, this.#valueLength) !== 0) {
      return undefined;
    }
    return this.#value[0];
  }

  listening(fd: number): boolean {
    return this.option(fd, SOL_SOCKET, SO_ACCEPTCONN) === 1;
  }

  noDelay(fd: number): boolean {
    return this.option(fd, IPPROTO_TCP, TCP_NODELAY) === 1;
  }

  setNoDelay(fd: number): boolean {
    this.#value[0] = 1;
    return this.#libc.setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, this.#value, 4) === 0;
  }
}

/** The outcome of {@linkcode disableNagle}: done, or why not. */
export type NagleOutcome = { off: true } | { off: false; reason: string };

/**
 * Sets `TCP_NODELAY` on the listening sockets of `addr`'s port (the one just
 * bound among them), so every connection they accept has Nagle's algorithm
 * off.
 *
 * @example
 * ```ts
 * import { disableNagle } from "./listener_nodelay.ts";
 * declare const listener: Deno.TlsListener;
 * const outcome = disableNagle(listener.addr as Deno.NetAddr);
 * if (!outcome.off) console.warn(outcome.reason);
 * ```
 */
export function disableNagle(addr: Deno.NetAddr): NagleOutcome {
  const libc = theLibc();
  if ("problem" in libc) return { off: false, reason: libc.problem };
  const sockets = new Sockets(libc.libc);
  let found = 0;
  for (const fd of sockets.open()) {
    if (sockets.port(fd) !== addr.port || !sockets.listening(fd)) continue;
    found++;
    if (!sockets.noDelay(fd) && !sockets.setNoDelay(fd)) {
      return {
        off: false,
        reason: `setsockopt(TCP_NODELAY) failed on a listener of port ${addr.port}`,
      };
    }
  }
  if (found === 0) return { off: false, reason: `no listening socket of port ${addr.port} found` };
  return { off: true };
}

/** How many of a port's sockets there are, and how many have `TCP_NODELAY`. */
export interface NoDelayCount {
  sockets: number;
  noDelay: number;
}

/**
 * This process's sockets on local port `port`, listening and accepted, and
 * how many of each have `TCP_NODELAY`: what a test or a debugging session
 * asks. `undefined` without libc.
 */
export function portNoDelay(
  port: number,
): { listening: NoDelayCount; accepted: NoDelayCount } | undefined {
  const libc = theLibc();
  if ("problem" in libc) return undefined;
  const sockets = new Sockets(libc.libc);
  const listening = { sockets: 0, noDelay: 0 };
  const accepted = { sockets: 0, noDelay: 0 };
  for (const fd of sockets.open()) {
    if (sockets.port(fd) !== port) continue;
    const count = sockets.listening(fd) ? listening : accepted;
    count.sockets++;
    if (sockets.noDelay(fd)) count.noDelay++;
  }
  return { listening, accepted };
}
