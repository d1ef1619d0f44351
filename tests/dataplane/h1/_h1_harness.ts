/**
 * A listener served by our HTTP/1.1 server (`serveH1`) for tests over real
 * loopback sockets, and a raw client that writes bytes and reads until the
 * server closes. Every wait is for an event (bytes, a close), never for time.
 * {@linkcode serveOnLibc} puts the server's side on libc's sockets
 * (`libc_listener.ts`), for the files that run these tests again there.
 */
import { serveH1 } from "../../../src/dataplane/h1/h1_connection.ts";
import type { H1Limits } from "../../../src/dataplane/h1/h1_limits.ts";
import type {
  ConnectionHandler,
  ServedConnection,
} from "../../../src/dataplane/serve_connection.ts";
import type { FieldsHandler } from "../../../src/dataplane/field_headers.ts";
import { libcListen } from "../../../src/dataplane/libc_listener.ts";
import { libcReactor } from "../../../src/dataplane/libc_reactor.ts";

let onLibc = false;

/** From now on in this isolate, {@linkcode startH1} listens on libc's sockets. */
export function serveOnLibc(): void {
  onLibc = true;
}

/** A loopback listener: Deno's, or libc's after {@linkcode serveOnLibc}. */
export function listenLoopback(): Deno.Listener {
  if (!onLibc) return Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const listener = libcListen({ hostname: "127.0.0.1", port: 0 });
  if ("problem" in listener) {
    throw new Error(`Cannot listen on libc's sockets: ${listener.problem}`);
  }
  return listener;
}

/** Resolves once libc's reactor has no socket and no wait left (at once on Deno's sockets). */
export async function socketsSettled(): Promise<void> {
  const reactor = libcReactor();
  if (onLibc && !("problem" in reactor)) await reactor.idle();
}

export const encoder = new TextEncoder();
const latin1 = new TextDecoder("latin1");

/** A port served by `serveH1` with `handler`. */
export interface H1Server extends AsyncDisposable {
  port: number;
  /** Connections served so far. */
  served: ServedConnection[];
}

/** Serves every connection of a fresh loopback listener with our HTTP/1.1 server. */
export function startH1(
  handler: ConnectionHandler,
  options: {
    limits?: Partial<H1Limits>;
    h2?: (conn: Deno.Conn, first: Uint8Array) => ServedConnection;
    fields?: FieldsHandler;
  } = {},
): H1Server {
  const listener = listenLoopback();
  const served: ServedConnection[] = [];
  const accepting = (async () => {
    for await (const conn of listener) {
      served.push(serveH1(conn, {
        handler,
        onError: () => new Response("handler failed\n", { status: 500 }),
        scheme: "http",
        ...options,
      }));
    }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    served,
    async [Symbol.asyncDispose]() {
      listener.close();
      await accepting.catch(() => {});
      for (const s of served) s.close();
      await Promise.all(served.map((s) => s.finished));
      await socketsSettled();
    },
  };
}

/** Opens a connection, writes `bytes` (a string as latin-1), and reads until the server closes. */
export async function exchangeUntilClose(port: number, ...parts: string[]): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    for (const part of parts) await conn.write(bytesOf(part));
    return await readUntilClose(conn);
  } finally {
    conn.close();
  }
}

/** Everything the server sends until it closes (EOF or reset). */
export async function readUntilClose(conn: Deno.Conn): Promise<string> {
  let text = "";
  const buf = new Uint8Array(64 * 1024);
  for (;;) {
    const n = await conn.read(buf).catch(() => null);
    if (n === null) return text;
    text += latin1.decode(buf.subarray(0, n));
  }
}

/** Reads until `text` holds `count` occurrences of `marker`. */
export async function readUntil(conn: Deno.Conn, marker: string, count = 1): Promise<string> {
  let text = "";
  const buf = new Uint8Array(64 * 1024);
  while (text.split(marker).length - 1 < count) {
    const n = await conn.read(buf);
    if (n === null) throw new Error(`Connection closed before ${marker}: ${text}`);
    text += latin1.decode(buf.subarray(0, n));
  }
  return text;
}

/** Latin-1 bytes of `text`. */
export function bytesOf(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

/** The status codes of the responses in `text`, in order. */
export function statuses(text: string): number[] {
  return [...text.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]));
}

/** A handler that answers with the method, the URL and the body it read. */
export const echo: ConnectionHandler = async (req) => {
  const body = req.body === null ? "" : await req.text();
  return new Response(`${req.method} ${req.url} ${body}`);
};
