/**
 * HTTP/1.1 clients over raw TCP that keep a gateway busy and account for
 * every request precisely, for the SIGTERM-under-load test. A client either
 * keeps its connection alive (until an answer says `Connection: close`) or
 * opens a new connection per request.
 *
 * Each request ends as one of:
 * - **ok**: a complete answer (any status: the test checks them);
 * - **retried**: nothing at all came back (connection refused, or closed or
 *   reset before the first byte of an answer) after the shutdown began, on a
 *   new connection or on a kept-alive one whose last answer did not say
 *   `Connection: close`. A load balancer retries these (RFC 9112 §9.3.1: the
 *   server never read the request), and so do these clients;
 * - **failed**: anything else: a truncated or malformed answer, a reset after
 *   the first byte, or any error before the shutdown began.
 * @module
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** One complete answer. */
export interface Answer {
  status: number;
  /** The answer said `Connection: close`. */
  close: boolean;
  /** Received after the test marked the shutdown as begun. */
  afterShutdown: boolean;
}

/** What all clients saw. */
export interface LoadReport {
  answers: Answer[];
  retried: number;
  failures: string[];
}

/** Options of {@linkcode startLoadClients}. */
export interface LoadClientsOptions {
  port: number;
  host: string;
  keepAlive: number;
  newConnections: number;
}

/** Running clients. */
export interface LoadClients {
  readonly report: LoadReport;
  /** From now on, a request that got nothing back is retried, not failed. */
  shutdownBegan(): void;
  /** Stops every client after its current request; resolves once all stopped. */
  stop(): Promise<void>;
}

class ConnectionGone extends Error {}

/** Reads one answer (Content-Length framing); `ConnectionGone` when nothing came. */
async function readAnswer(conn: Deno.Conn): Promise<{ status: number; close: boolean }> {
  let buffer = new Uint8Array(0);
  const more = async () => {
    const chunk = new Uint8Array(16_384);
    let n: number | null;
    try {
      n = await conn.read(chunk);
    } catch (error) {
      if (buffer.length === 0) throw new ConnectionGone((error as Error).message);
      throw new Error(`Answer cut after ${buffer.length} bytes: ${(error as Error).message}`);
    }
    if (n === null) {
      if (buffer.length === 0) throw new ConnectionGone("closed before answering");
      throw new Error(`Answer cut after ${buffer.length} bytes: connection closed`);
    }
    const next = new Uint8Array(buffer.length + n);
    next.set(buffer);
    next.set(chunk.subarray(0, n), buffer.length);
    buffer = next;
  };
  let end = -1;
  while ((end = decoder.decode(buffer).indexOf("\r\n\r\n")) < 0) await more();
  const head = decoder.decode(buffer).slice(0, end);
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? NaN);
  const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? NaN);
  if (!Number.isFinite(status) || !Number.isFinite(length)) {
    throw new Error(`Malformed answer head: ${JSON.stringify(head)}`);
  }
  while (encoder.encode(decoder.decode(buffer).slice(end + 4)).length < length) await more();
  return { status, close: /\r\nconnection:\s*close/i.test(head) };
}

/** Starts the clients. */
export function startLoadClients(options: LoadClientsOptions): LoadClients {
  const report: LoadReport = { answers: [], retried: 0, failures: [] };
  let shuttingDown = false;
  let stopped = false;
  const request = encoder.encode(`GET /load HTTP/1.1\r\nHost: ${options.host}\r\n\r\n`);

  const run = async (keepAlive: boolean) => {
    let conn: Deno.Conn | undefined;
    while (!stopped) {
      const reused = conn !== undefined;
      try {
        conn ??= await Deno.connect({ hostname: "127.0.0.1", port: options.port });
        await conn.write(request);
        const { status, close } = await readAnswer(conn);
        report.answers.push({ status, close, afterShutdown: shuttingDown });
        if (close || !keepAlive) {
          conn.close();
          conn = undefined;
        }
      } catch (error) {
        try {
          conn?.close();
        } catch {
          // Already closed.
        }
        conn = undefined;
        const nothingCame = error instanceof ConnectionGone ||
          error instanceof Deno.errors.ConnectionRefused ||
          error instanceof Deno.errors.ConnectionReset ||
          error instanceof Deno.errors.BrokenPipe;
        if (shuttingDown && nothingCame) {
          report.retried++;
          // Refused: the gateway is gone or going; do not spin.
          await new Promise((resolve) => setTimeout(resolve, 10));
        } else {
          report.failures.push(
            `${keepAlive ? "keep-alive" : "new-connection"} client, ${
              reused ? "reused" : "new"
            } connection: ${(error as Error).message}`,
          );
        }
      }
    }
    conn?.close();
  };

  const running = [
    ...Array.from({ length: options.keepAlive }, () => run(true)),
    ...Array.from({ length: options.newConnections }, () => run(false)),
  ];
  return {
    report,
    shutdownBegan() {
      shuttingDown = true;
    },
    async stop() {
      stopped = true;
      await Promise.all(running);
    },
  };
}
