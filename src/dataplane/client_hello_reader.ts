/**
 * Reading a TLS ClientHello off a plain TCP connection, for the ports that
 * must know a connection's server name before TLS starts: the front door of
 * a terminating port and a passthrough port. The bytes read are returned
 * too: they are relayed first, so the TLS server sees the whole handshake.
 * Each read is scanned once (`ClientHelloScanner`) and the bytes are kept in
 * a buffer that doubles, so a client sending one byte at a time costs time
 * linear in what it sent, and at most `MAX_FIRST_BYTES` and one read are
 * held before a verdict.
 * @module
 */
import { type Clock, systemClock } from "../time/clock.ts";
import { closeQuietly } from "./tcp_relay.ts";
import { ClientHelloScanner } from "./tls_client_hello.ts";

/** A whole ClientHello, or why there is none. */
export type ClientHelloRead =
  | { ok: true; bytes: Uint8Array; serverName: string }
  | {
    ok: false;
    /** The bytes were not a ClientHello (rather than too few, too slow or cut off). */
    invalid: boolean;
    reason: string;
  };

const READ_SIZE = 4096;

/**
 * Reads until a whole ClientHello is in. Past `timeoutMs` (0: no limit) the
 * client is closed.
 *
 * @example
 * ```ts
 * import { readClientHello } from "./client_hello_reader.ts";
 * declare const client: Deno.Conn;
 * const hello = await readClientHello(client, 10_000);
 * if (hello.ok) console.log(hello.serverName);
 * ```
 */
export async function readClientHello(
  client: Deno.Conn,
  timeoutMs: number,
  clock: Clock = systemClock,
): Promise<ClientHelloRead> {
  const scanner = new ClientHelloScanner();
  let bytes = new Uint8Array(READ_SIZE);
  let length = 0;
  let timedOut = false;
  const timer = timeoutMs > 0
    ? clock.setTimeout(() => {
      timedOut = true;
      closeQuietly(client);
    }, timeoutMs)
    : undefined;
  try {
    while (true) {
      if (bytes.length - length < READ_SIZE) {
        const grown = new Uint8Array(2 * bytes.length);
        grown.set(bytes.subarray(0, length));
        bytes = grown;
      }
      const n = await client.read(bytes.subarray(length, length + READ_SIZE));
      if (n === null) return { ok: false, invalid: false, reason: "closed before a ClientHello" };
      const scan = scanner.push(bytes.subarray(length, length + n));
      length += n;
      if (scan.state === "parsed") {
        return { ok: true, bytes: bytes.slice(0, length), serverName: scan.serverName };
      }
      if (scan.state === "invalid") return { ok: false, invalid: true, reason: scan.reason };
    }
  } catch (error) {
    const reason = timedOut ? "ClientHello timeout" : (error as Error).message;
    return { ok: false, invalid: false, reason };
  } finally {
    timer?.cancel();
  }
}
