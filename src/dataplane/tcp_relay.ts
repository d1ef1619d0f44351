/**
 * Byte plumbing between two TCP connections: copying one direction until
 * its end (then half-closing, so the other direction can still drain),
 * writing a buffer whole, and closing what may already be closed.
 * @module
 */

/** Read buffer of a quiet relay direction. */
export const SMALL_BUFFER = 4096;
/** Read buffer of a relay direction moving bulk data. */
const LARGE_BUFFER = 65536;

/**
 * Copies until EOF, then half-closes the other side so the peer sees the end
 * while the opposite direction drains. The buffer grows for bulk transfers
 * and shrinks back, so an idle connection holds only a small one.
 */
export async function pump(from: Deno.Conn, to: Deno.Conn): Promise<void> {
  let buffer = new Uint8Array(SMALL_BUFFER);
  try {
    while (true) {
      const n = await from.read(buffer);
      if (n === null) break;
      await writeAll(to, buffer.subarray(0, n));
      if (n === buffer.length && buffer.length < LARGE_BUFFER) {
        buffer = new Uint8Array(LARGE_BUFFER);
      } else if (n < SMALL_BUFFER && buffer.length > SMALL_BUFFER) {
        buffer = new Uint8Array(SMALL_BUFFER);
      }
    }
    await to.closeWrite().catch(() => closeQuietly(to));
  } catch {
    // A reset on either side ends both directions.
    closeQuietly(from);
    closeQuietly(to);
  }
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
