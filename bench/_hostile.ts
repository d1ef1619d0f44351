/**
 * Raw-socket clients and process readings shared by the hostile-client
 * probes (`bench/probes.ts`) and the soak (`bench/soak.ts`).
 * @module
 */
export { rawRequest } from "../tests/dataplane/_proxy.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** What a connection got before the gateway closed it, and after how long. */
export interface Closed {
  answer: string;
  /** From before the connect to the close (the gateway's timer starts at its accept). */
  elapsedMs: number;
}

/**
 * Connects, sends `bytes` (maybe nothing), then reads until the gateway
 * closes or `limitMs` passes (then `elapsedMs` is `Infinity`).
 */
export async function sendAndAwaitClose(
  port: number,
  bytes: string,
  limitMs = 30_000,
): Promise<Closed> {
  const started = performance.now();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  let gaveUp = false;
  const timer = setTimeout(() => {
    gaveUp = true;
    conn.close();
  }, limitMs);
  let answer = "";
  try {
    if (bytes !== "") await conn.write(encoder.encode(bytes));
    const buffer = new Uint8Array(4096);
    for (;;) {
      const n = await conn.read(buffer).catch(() => null);
      if (n === null) break;
      answer += decoder.decode(buffer.subarray(0, n));
    }
  } finally {
    clearTimeout(timer);
    if (!gaveUp) conn.close();
  }
  return { answer, elapsedMs: gaveUp ? Infinity : performance.now() - started };
}

/**
 * Resident memory of process `pid` in bytes, or NaN. Read through `ps`:
 * Deno lets a process read another's `/proc/<pid>` only with `--allow-all`.
 */
export async function processRss(pid: number): Promise<number> {
  try {
    const out = await new Deno.Command("ps", { args: ["-o", "rss=", "-p", String(pid)] }).output();
    const kib = Number(new TextDecoder().decode(out.stdout).trim());
    return out.success && Number.isFinite(kib) && kib > 0 ? kib * 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Bytes as MiB with one decimal. */
export function mib(bytes: number): string {
  return (bytes / 1048576).toFixed(1);
}

/** Opens `count` connections that each send `bytes` and then stall (the caller closes them). */
export async function openStalled(
  port: number,
  count: number,
  bytes: string,
): Promise<Deno.Conn[]> {
  const conns: Deno.Conn[] = [];
  const data = encoder.encode(bytes);
  for (let i = 0; i < count; i += 50) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(50, count - i) }, async () => {
        const conn = await Deno.connect({ hostname: "127.0.0.1", port });
        await conn.write(data);
        return conn;
      }),
    );
    conns.push(...batch);
  }
  return conns;
}

/** Closes every connection, ignoring ones already closed. */
export function closeAll(conns: Deno.Conn[]): void {
  for (const conn of conns.splice(0)) {
    try {
      conn.close();
    } catch {
      // Closed by the gateway first.
    }
  }
}

/**
 * Samples `read` every `everyMs` until `stableCount` samples in a row moved
 * less than `tolerance` (relative) or `limitMs` passed; the last sample.
 */
export async function settle(
  read: () => Promise<number>,
  { everyMs = 500, stableCount = 4, tolerance = 0.01, limitMs = 30_000 } = {},
): Promise<number> {
  const deadline = performance.now() + limitMs;
  let last = await read();
  let stable = 0;
  while (stable < stableCount && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, everyMs));
    const now = await read();
    stable = Math.abs(now - last) <= Math.abs(last) * tolerance ? stable + 1 : 0;
    last = now;
  }
  return last;
}
