/**
 * Which sockets carry plain HTTP ports and HTTP/1.1 backend connections
 * (`--sockets auto|libc|deno`): libc's through FFI (`libc_listener.ts`,
 * `libc_socket.ts`), or Deno's. libc's serve only what reads and writes
 * bytes itself: the accepted connections of plain HTTP ports served by our
 * own HTTP/1.1 server (and h2c on them), and the pooled client's cleartext
 * connections to backends. Deno's HTTP engine (`--http1-engine deno`) and
 * TLS need a genuine Deno socket and keep theirs.
 *
 * `auto` takes libc's when this process can open libc with the calls the
 * layer makes (Linux, glibc, `--allow-ffi` for its path) and our own server
 * serves the ports; `libc` asks for them and fails a port that cannot have
 * them, naming why.
 *
 * @example
 * ```ts
 * import { chooseSockets } from "./libc_sockets.ts";
 * const choice = chooseSockets("auto", "own");
 * console.log(choice.layer, choice.why);
 * ```
 * @module
 */
import type { Http1Engine, SocketsSetting } from "./client_timeouts.ts";
import { libcNet } from "./libc_net.ts";
import { libcListen } from "./libc_listener.ts";

export type { SocketsSetting };

/** The sockets a setting comes to, and why (for the start's log line). */
export interface SocketsChoice {
  layer: "libc" | "deno";
  why: string;
}

/** The default of `--sockets`. */
export const DEFAULT_SOCKETS: SocketsSetting = "auto";

/** What an absent setting means in this isolate: the default, unless a test suite chose. */
let absentMeans: SocketsSetting = DEFAULT_SOCKETS;

/**
 * Makes an absent setting mean `setting` in this isolate, for a test file
 * that runs another file's tests on the other sockets, or a test that
 * replaces `Deno.connect`; returns what it meant before.
 */
export function socketsWhenAbsent(setting: SocketsSetting): SocketsSetting {
  const before = absentMeans;
  absentMeans = setting;
  return before;
}

/** What `setting` (absent: the default) comes to in this process, with our engine or Deno's. */
export function chooseSockets(
  setting: SocketsSetting | undefined,
  engine: Http1Engine | undefined,
): SocketsChoice {
  const asked = setting ?? absentMeans;
  if (asked === "deno") return { layer: "deno", why: "--sockets deno" };
  const net = libcNet();
  if ("problem" in net) {
    return { layer: "deno", why: `libc's sockets cannot be had: ${net.problem}` };
  }
  if (engine === "deno") {
    return {
      layer: "deno",
      why: "Deno's HTTP engine serves the ports (--http1-engine deno); backends get libc's",
    };
  }
  return { layer: "libc", why: `--sockets ${asked}, libc opened` };
}

/**
 * Whether the pooled client connects with libc's sockets under `setting`:
 * with `libc`, or `auto` where libc opens (whoever serves the ports).
 */
export function upstreamOnLibc(setting: SocketsSetting | undefined): boolean {
  const asked = setting ?? absentMeans;
  return asked !== "deno" && !("problem" in libcNet());
}

/** What {@linkcode listenForOwnServer} takes. */
export interface PlainListenOptions {
  hostname: string;
  port: number;
  reusePort?: boolean;
  sockets?: SocketsSetting;
}

/**
 * A listener for a plain port our own HTTP/1.1 server serves: libc's when
 * the setting takes them, else `Deno.listen`'s. Throws when the bind fails,
 * or when `libc` was asked for and cannot be had.
 */
export function listenForOwnServer(options: PlainListenOptions): Deno.Listener {
  const asked = options.sockets ?? absentMeans;
  const { hostname, port } = options;
  if (asked !== "deno") {
    const listener = libcListen({ hostname, port, reusePort: options.reusePort });
    if (!("problem" in listener)) return listener;
    if (asked === "libc") {
      throw new Error(`Cannot listen with --sockets libc: ${listener.problem}`);
    }
  }
  return Deno.listen({ hostname, port, ...(options.reusePort ? { reusePort: true } : {}) });
}
