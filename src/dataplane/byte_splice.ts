/**
 * Two connections spliced both ways, as an upgraded tunnel or a relay needs:
 * each direction reads into its own buffer and writes it all before reading
 * again, so a slow reader holds the other side back through TCP (no
 * unbounded buffering). An end of stream on one side is passed on as a
 * half-close (`closeWrite`) when the other side supports it; the splice ends
 * when both directions ended, when either fails, on {@linkcode Splice.close},
 * or when no byte moved either way for `idleMs`; both connections are closed
 * then.
 * @module
 */
import { type Clock, systemClock, type Timer } from "../time/clock.ts";
import { closeQuietly } from "./tcp_relay.ts";

/** Options of {@linkcode splice}. */
export interface SpliceOptions {
  /** Close both sides after this long without a byte either way; `0`: never. */
  idleMs?: number;
  /** Read buffer per direction (default 16 KiB). */
  bufferBytes?: number;
  /** Time for the idle timeout (default: the system clock). */
  clock?: Clock;
  /**
   * `true` (default): an end of stream on one side is passed on as a
   * half-close and the other direction goes on. `false`: the first end of
   * stream ends the splice (a relay whose far side stopped serving).
   */
  halfClose?: boolean;
}

/** Why a splice ended. */
export type SpliceEnd = "closed" | "idle" | "error" | "stopped";

/** A running splice. */
export interface Splice {
  /** Settles once both connections are closed; says why the splice ended. */
  readonly done: Promise<SpliceEnd>;
  /** Bytes moved from `a` to `b` and from `b` to `a` so far. */
  bytes(): { aToB: number; bToA: number };
  /** Closes both connections now. */
  close(): void;
}

/**
 * Splices `a` and `b`. Bytes in `aFirst` are written to `b` first (what was
 * read from `a` before the splice began), and likewise `bFirst` to `a`.
 *
 * @example
 * ```ts
 * import { splice } from "./byte_splice.ts";
 * declare const client: Deno.Conn, backend: Deno.Conn;
 * const tunnel = splice(client, backend, null, null, { idleMs: 600_000 });
 * await tunnel.done;
 * ```
 */
export function splice(
  a: Deno.Conn,
  b: Deno.Conn,
  aFirst: Uint8Array | null,
  bFirst: Uint8Array | null,
  options: SpliceOptions = {},
): Splice {
  const clock = options.clock ?? systemClock;
  const idleMs = options.idleMs ?? 0;
  const size = options.bufferBytes ?? 16 * 1024;
  const halfClose = options.halfClose ?? true;
  const moved = { aToB: 0, bToA: 0 };
  let lastActivity = clock.now();
  let ended: SpliceEnd | undefined;
  let timer: Timer | undefined;
  let finish!: (why: SpliceEnd) => void;
  const done = new Promise<SpliceEnd>((resolve) => {
    finish = (why) => {
      if (ended !== undefined) return;
      ended = why;
      timer?.cancel();
      closeQuietly(a);
      closeQuietly(b);
      resolve(why);
    };
  });

  const pump = async (
    from: Deno.Conn,
    to: Deno.Conn,
    first: Uint8Array | null,
    key: keyof typeof moved,
  ) => {
    const buf = new Uint8Array(size);
    let chunk = first;
    for (;;) {
      if (chunk !== null && chunk.length > 0) {
        let offset = 0;
        while (offset < chunk.length) offset += await to.write(chunk.subarray(offset));
        moved[key] += chunk.length;
        lastActivity = clock.now();
      }
      const n = await from.read(buf);
      if (n === null) break;
      chunk = buf.subarray(0, n);
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
      else timer = clock.setTimeout(check, idleMs - quiet);
    };
    timer = clock.setTimeout(check, idleMs);
  }
  const fail = () => finish(ended ?? "error");
  Promise.all([
    pump(a, b, aFirst, "aToB"),
    pump(b, a, bFirst, "bToA"),
  ]).then(() => finish("closed"), fail);

  return {
    done,
    bytes: () => ({ ...moved }),
    close: () => finish("stopped"),
  };
}
