/**
 * A backend that stops reading: it reads a request's head, optionally
 * answers with a response head and the first chunk of a body that never
 * ends, and then reads nothing more until the test says `resume()`, so the
 * gateway's writes of the request body fill the socket buffers and wait.
 * After `resume()` it reads to the end and resolves `closed`: proof that
 * the gateway closed its side. Plain TCP, or TLS with a certificate.
 * @module
 */

/** What the backend does once the head arrived. */
export type StallMode = "silent" | "answers";

/** The stalling backend. */
export interface StallingBackend extends AsyncDisposable {
  readonly port: number;
  /** Resolves when a request head arrived. */
  readonly received: Promise<void>;
  /** Read again (to the end): resolves `closed` once the gateway's side ended. */
  resume(): void;
  /** Resolves once the connection ended after `resume()`. */
  readonly closed: Promise<void>;
}

const encoder = new TextEncoder();
const STREAM_HEAD = encoder.encode(
  "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n6\r\nhello\n\r\n",
);

/**
 * Starts one backend on 127.0.0.1 serving its first connection.
 *
 * @example
 * ```ts ignore
 * await using backend = startStallingBackend("silent");
 * ```
 */
export function startStallingBackend(
  mode: StallMode,
  tls?: { certPem: string; keyPem: string },
): StallingBackend {
  const listener = tls === undefined
    ? Deno.listen({ hostname: "127.0.0.1", port: 0 })
    : Deno.listenTls({ hostname: "127.0.0.1", port: 0, cert: tls.certPem, key: tls.keyPem });
  const received = Promise.withResolvers<void>();
  const resumed = Promise.withResolvers<void>();
  const closed = Promise.withResolvers<void>();
  let conn: Deno.Conn | undefined;
  const served = (async () => {
    conn = await listener.accept();
    // A small receive buffer, so the kernel holds little of what the gateway sends.
    const buf = new Uint8Array(4096);
    let seen = "";
    while (!seen.includes("\r\n\r\n")) {
      const n = await conn.read(buf);
      if (n === null) break;
      seen += new TextDecoder("latin1").decode(buf.subarray(0, n));
    }
    received.resolve();
    if (mode === "answers") await conn.write(STREAM_HEAD);
    await resumed.promise;
    try {
      while ((await conn.read(buf)) !== null) { /* the rest of the body, until the end */ }
    } catch {
      // A reset is an end too.
    }
    closed.resolve();
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    received: received.promise,
    closed: closed.promise,
    resume: () => resumed.resolve(),
    async [Symbol.asyncDispose]() {
      listener.close();
      resumed.resolve();
      try {
        conn?.close();
      } catch { /* closed already */ }
      await served.catch(() => {});
    },
  };
}

/** An endless request body of 64 KiB chunks, as fast as it is pulled. */
export function endlessBody(): ReadableStream<Uint8Array> {
  return new ReadableStream({
    pull(controller) {
      controller.enqueue(new Uint8Array(64 * 1024).fill(120));
    },
  }, { highWaterMark: 0 });
}
