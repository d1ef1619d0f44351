/**
 * Byte plumbing between two TCP connections: copying one direction until
 * its end (then half-closing, so the other direction can still drain),
 * writing a buffer whole, and closing what may already be closed.
 * @module
 */

/** Read buffer of a quiet relay direction. */
const SMALL_BUFFER = 4096;
/** Read buffer of a relay direction moving bulk data. */
const LARGE_BUFFER = 65536;

/** What a {@linkcode pump} tells its caller. */
export interface PumpHooks {
  /** Bytes arrived (before they are written on). */
  onActivity?: () => void;
  /** A read or write failed; default: both connections are closed. */
  onFailure?: () => void;
}

/**
 * Copies until EOF, then half-closes the other side so the peer sees the end
 * while the opposite direction drains; each read waits for the last chunk's
 * write (backpressure). The buffer grows for bulk transfers and shrinks
 * back, so an idle connection holds only a small one. Returns the bytes
 * copied; never throws.
 */
export async function pump(from: Deno.Conn, to: Deno.Conn, hooks: PumpHooks = {}): Promise<number> {
  let buffer = new Uint8Array(SMALL_BUFFER);
  let copied = 0;
  try {
    while (true) {
      const n = await from.read(buffer);
      if (n === null) break;
      hooks.onActivity?.();
      await writeAll(to, buffer.subarray(0, n));
      copied += n;
      if (n === buffer.length && buffer.length < LARGE_BUFFER) {
        buffer = new Uint8Array(LARGE_BUFFER);
      } else if (n < SMALL_BUFFER && buffer.length > SMALL_BUFFER) {
        buffer = new Uint8Array(SMALL_BUFFER);
      }
    }
    await to.closeWrite();
  } catch {
    // A reset, a write to a closed peer, or our own close: both directions end.
    if (hooks.onFailure !== undefined) hooks.onFailure();
    else {
      closeQuietly(from);
      closeQuietly(to);
    }
  }
  return copied;
}

/** Writes `bytes` whole (one `write` may take only part). */
export async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) written += await conn.write(bytes.subarray(written));
}

/** Closes `closable`, which may be closed already. */
export function closeQuietly(closable: { close(): void } | undefined): void {
  try {
    closable?.close();
  } catch {
    // Already closed.
  }
}
