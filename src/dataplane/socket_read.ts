/**
 * Reads from (and writes to) a Deno socket without `Conn.read`'s and
 * `Conn.write`'s wrappers (pinned: Deno 2.9.6). `Conn.read` is an `async` function that also notes every pending
 * read in a `Set` (so `ref`/`unref` can reach them): a promise, a
 * resumption and a set entry added and deleted per read, measured at about
 * 0.9 KB of heap per read on the proxy path, which reads the client's
 * socket once per request. The runtime's own read of the socket's resource,
 * `Deno[Deno.internal].core.read(rid, buffer)`, is what that wrapper calls;
 * closing the connection cancels it the same way. The gateway never unrefs
 * the sockets it serves, so nothing is lost.
 *
 * Only a genuine runtime socket is read this way: anything else shaped like
 * a `Deno.Conn` (a wrapper that hands over bytes read before, a TLS socket
 * adapter, a test's scripted connection) is read through its own `read`.
 * {@linkcode assertSocketReadInternals} fails loudly on a Deno whose
 * internals changed.
 *
 * @example
 * ```ts
 * import { socketReader } from "./socket_read.ts";
 * declare const conn: Deno.Conn;
 * const read = socketReader(conn);
 * const n = await read(new Uint8Array(4096)); // 0 or null: the peer closed
 * ```
 * @module
 */
import { runtimeCore } from "./runtime_core.ts";

/**
 * Reads into `buffer` (never empty); the byte count, `null` at the end of
 * the stream, and `0` too when the socket is read directly ({@linkcode readsDirectly}).
 */
export type SocketRead = (buffer: Uint8Array) => Promise<number | null>;

/** Writes `bytes` (never empty); the byte count written, which may be fewer. */
export type SocketWrite = (bytes: Uint8Array) => Promise<number>;

interface CoreReadInternals {
  read: (rid: number, buffer: Uint8Array) => Promise<number>;
  write: (rid: number, bytes: Uint8Array) => Promise<number>;
  ridSymbol: symbol;
}

function coreRead(): CoreReadInternals | undefined {
  const core = runtimeCore();
  const read = core?.read;
  const write = core?.write;
  const ridSymbol = core?.internalRidSymbol;
  if (
    typeof read !== "function" || typeof write !== "function" || typeof ridSymbol !== "symbol"
  ) return undefined;
  return {
    read: read as CoreReadInternals["read"],
    write: write as CoreReadInternals["write"],
    ridSymbol,
  };
}

const internals = coreRead();

/**
 * The read of `conn`: the runtime's own for a genuine Deno socket (its
 * `read` the one its class defines, a resource id under the runtime's
 * symbol), else `conn.read`.
 */
export function socketReader(conn: Deno.Conn): SocketRead {
  const rid = directRid(conn, "read");
  if (rid === undefined || internals === undefined) return (buffer) => conn.read(buffer);
  const read = internals.read;
  return (buffer) => read(rid, buffer);
}

/**
 * The write of `conn`: the runtime's own for a genuine Deno socket (its
 * `write` the one its class defines), else `conn.write`. `Conn.write` is an
 * `async` function around that same call (`return await`): a promise, a
 * suspended frame and two more turns of the microtask queue per write, and
 * the proxy path writes twice a request (the backend's request, the
 * client's answer). Errors are the runtime's, as through `conn.write`.
 *
 * @example
 * ```ts
 * import { socketWriter } from "./socket_read.ts";
 * declare const conn: Deno.Conn;
 * const write = socketWriter(conn);
 * const n = await write(new TextEncoder().encode("hello")); // may be fewer than 5
 * ```
 */
export function socketWriter(conn: Deno.Conn): SocketWrite {
  const rid = directRid(conn, "write");
  if (rid === undefined || internals === undefined) return (bytes) => conn.write(bytes);
  const write = internals.write;
  return (bytes) => write(rid, bytes);
}

/** The resource id to read or write `conn` by directly, or `undefined` when `conn` is not a plain runtime socket. */
function directRid(conn: Deno.Conn, method: "read" | "write"): number | undefined {
  if (internals === undefined) return undefined;
  // A Proxy or an object with a `read` (`write`) of its own differs from its class.
  const proto = Object.getPrototypeOf(conn) as Record<string, unknown> | null;
  if (proto === null || conn[method] !== proto[method]) return undefined;
  const rid = (conn as unknown as Record<symbol, unknown>)[internals.ridSymbol];
  return typeof rid === "number" ? rid : undefined;
}

/**
 * Throws an `Error` naming what changed when the runtime's socket read, its write or
 * its resource-id symbol is missing (another Deno than 2.9.6).
 *
 * @example
 * ```ts
 * import { assertSocketReadInternals } from "./socket_read.ts";
 * assertSocketReadInternals(); // throws on an incompatible Deno
 * ```
 */
export function assertSocketReadInternals(): void {
  if (internals === undefined) {
    throw new Error(
      `Cannot find Deno[Deno.internal].core.read, core.write and internalRidSymbol: current Deno is ${Deno.version.deno}, written against 2.9.6`,
    );
  }
}

/** Whether `conn` is read without its wrapper (for tests). */
export function readsDirectly(conn: Deno.Conn): boolean {
  return directRid(conn, "read") !== undefined;
}

/** Whether `conn` is written without its wrapper (for tests). */
export function writesDirectly(conn: Deno.Conn): boolean {
  return directRid(conn, "write") !== undefined;
}
