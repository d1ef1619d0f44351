/**
 * Two connections spliced both ways: an upgraded tunnel (WebSocket and other
 * upgrades, `upgrade_tunnel.ts`), the relay of TLS Passthrough and Terminate
 * (`tls_passthrough.ts`, where the gateway never sees the plaintext), and
 * the relay of a diverted connection to the engine.
 *
 * Each direction reads only after its last chunk was written, so a slow
 * reader on one side slows the writer on the other (backpressure; at most
 * one buffer per direction is held). The buffer starts small, grows while
 * reads fill it (bulk transfers) and shrinks back, so an idle tunnel holds
 * only a small one. An end of stream on one side is passed on as a
 * half-close (`closeWrite`) and the other direction keeps flowing, unless
 * `halfClose` is off. The splice ends when both directions ended, when a
 * read or write fails (a reset closes both sides at once), on
 * {@linkcode Splice.close}, when no byte moved either way for `idleMs`, or
 * `maxLifetimeMs` after the start; both connections are closed then.
 * @module
 */
import { type Clock, systemClock, type Timer } from "../time/clock.ts";
import { closeQuietly } from "./tcp_relay.ts";

/** Read buffer of a quiet direction. */
const SMALL_BUFFER = 4096;
/** Read buffer of a direction moving bulk data. */
const LARGE_BUFFER = 65536;

/** Options of {@linkcode splice}. */
export interface SpliceOptions {
  /** Bytes read from `a` before the splice began: written to `b` first. */
  aFirst?: Uint8Array | null;
  /** Bytes read from `b` before the splice began: written to `a` first. */
  bFirst?: Uint8Array | null;
  /** Close both sides after this long without a byte either way; `0` (default): never. */
  idleMs?: number;
  /** Close both sides this long after the start, busy or not; `0` (default): never. */
  maxLifetimeMs?: number;
  /** Time for the timeouts (default: the system clock). */
  clock?: Clock;
  /**
   * `true` (default): an end of stream on one side is passed on as a
   * half-close and the other direction goes on. `false`: the first end of
   * stream ends the splice (a relay whose far side stopped serving).
   */
  halfClose?: boolean;
}

/**
 * Why a splice ended: both sides `closed`, a read or write failed (`error`),
 * a timeout (`idle`, `lifetime`), or {@linkcode Splice.close} (`stopped`).
 */
export type SpliceEnd = "closed" | "idle" | "lifetime" | "error" | "stopped";

/** How a splice ended and what it carried. */
export interface SpliceResult {
  end: SpliceEnd;
  /** Bytes written to `b` (`aFirst` included) and to `a` (`bFirst` included). */
  bytesAtoB: number;
  bytesBtoA: number;
}

/** A running splice. */
export interface Splice {
  /** Settles (never rejects) once both connections are closed. */
  readonly done: Promise<SpliceResult>;
  /** Bytes moved from `a` to `b` and from `b` to `a` so far. */
  bytes(): { aToB: number; bToA: number };
  /** Closes both connections now. */
  close(): void;
}

/**
 * Splices `a` and `b`.
 *
 * @example
 * ```ts
 * import { splice } from "./byte_splice.ts";
 * declare const client: Deno.Conn, backend: Deno.Conn;
 * const tunnel = splice(client, backend, { idleMs: 600_000 });
 * const { end, bytesAtoB } = await tunnel.done;
 * ```
 */
export function splice(a: Deno.Conn, b: Deno.Conn, options: SpliceOptions = {}): Splice {
  const clock = options.clock ?? systemClock;
  const idleMs = options.idleMs ?? 0;
  const lifetimeMs = options.maxLifetimeMs ?? 0;
  const halfClose = options.halfClose ?? true;
  const moved = { aToB: 0, bToA: 0 };
  let lastActivity = clock.now();
  let ended: SpliceEnd | undefined;
  let idle: Timer | undefined;
  let lifetime: Timer | undefined;
  let finish!: (why: SpliceEnd) => void;
  const done = new Promise<SpliceResult>((resolve) => {
    finish = (why) => {
      if (ended !== undefined) return;
      ended = why;
      idle?.cancel();
      lifetime?.cancel();
      closeQuietly(a);
      closeQuietly(b);
      resolve({ end: why, bytesAtoB: moved.aToB, bytesBtoA: moved.bToA });
    };
  });

  const pump = async (
    from: Deno.Conn,
    to: Deno.Conn,
    first: Uint8Array | null | undefined,
    key: keyof typeof moved,
  ) => {
    let buf = new Uint8Array(SMALL_BUFFER);
    let chunk = first ?? null;
    for (;;) {
      if (chunk !== null && chunk.length > 0) {
        let offset = 0;
        while (offset < chunk.length) offset += await to.write(chunk.subarray(offset));
        moved[key] += chunk.length;
        lastActivity = clock.now();
      }
      const n = await from.read(buf);
      if (n === null) break;
      lastActivity = clock.now();
      chunk = buf.subarray(0, n);
      // Grow for bulk, shrink back when quiet (the chunk keeps its own buffer until written).
      if (n === buf.length && buf.length < LARGE_BUFFER) buf = new Uint8Array(LARGE_BUFFER);
      else if (n < SMALL_BUFFER && buf.length > SMALL_BUFFER) buf = new Uint8Array(SMALL_BUFFER);
    }
    // Pass the end on; the other direction may still have bytes to send.
    const half = to as Partial<Deno.TcpConn>;
    if (halfClose && typeof half.closeWrite === "function") await half.closeWrite();
    else finish("closed");
  };

  if (idleMs > 0) {
    const check = () => {
      if (ended !== undefined) return;
      const quiet = clock.now() - lastActivity;
      if (quiet >= idleMs) finish("idle");
      else idle = clock.setTimeout(check, idleMs - quiet);
    };
    idle = clock.setTimeout(check, idleMs);
  }
  if (lifetimeMs > 0) lifetime = clock.setTimeout(() => finish("lifetime"), lifetimeMs);
  // A failed direction closes both at once: the other one's pending read ends too.
  const fail = () => finish(ended ?? "error");
  Promise.all([
    pump(a, b, options.aFirst, "aToB").catch(fail),
    pump(b, a, options.bFirst, "bToA").catch(fail),
  ]).then(() => finish("closed"));

  return {
    done,
    bytes: () => ({ ...moved }),
    close: () => finish("stopped"),
  };
}
