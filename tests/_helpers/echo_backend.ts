/**
 * A loopback HTTP/1.1 echo backend over raw TCP, for data-plane tests: it
 * answers what it received (method, request-target as sent, headers with
 * their case and order, body) as JSON, and can be told per request, with
 * `x-echo-*` headers, to misbehave:
 *
 * - `x-echo-delay: <ms>`: wait before answering;
 * - `x-echo-action: hold`: answer only once the test calls `release()`, so a
 *   test can keep a request in flight for exactly as long as it needs;
 * - `x-echo-action: close`: close the connection without answering;
 * - `x-echo-action: truncate`: promise 100 bytes, send 10, close;
 * - `x-echo-action: raw`: answer the request body bytes themselves;
 * - `x-echo-action: garbage`: answer a malformed status line;
 * - `x-echo-chunked: 1`: answer with chunked framing (in `x-echo-chunk-size` pieces);
 * - `x-echo-stream: <n>`: answer `n` chunks, 50 ms apart, each `chunk <i>\n`; with
 *   `x-echo-stream-hold: 1`, the chunks after the first wait for `release()`;
 * - `x-echo-size: <n>`: answer `n` bytes of a repeating pattern;
 * - `x-echo-status: <code>` and `x-echo-header-<name>: <value>` for the response;
 * - `x-echo-succeed-after: <n>` with `x-echo-key: <k>`: the first `n` requests
 *   carrying key `k` get `x-echo-status` (default 500), later ones 200 (for retries).
 *
 * `idleCloseMs` closes keep-alive connections idle that long, the way many
 * servers do. It counts connections, so tests can prove connection reuse.
 * @module
 */
import { concatBytes } from "../../src/dataplane/h2/h2_frames.ts";

/** What the echo backend saw, as returned in its JSON body. */
export interface EchoRecord {
  method: string;
  target: string;
  /** Raw header lines, name case preserved. */
  headers: [string, string][];
  /** Body as text (the test sends text), and its byte length. */
  body: string;
  bodyLength: number;
  /** Whether the request body came chunked. */
  chunked: boolean;
  /** Name the backend was created with. */
  name: string;
  /** 1-based count of the connection that carried the request. */
  connection: number;
}

/** Options of {@linkcode startEchoBackend}. */
export interface EchoBackendOptions {
  name?: string;
  idleCloseMs?: number;
  /**
   * After this many answered requests on a connection, the next request on it
   * is read and the connection closed without an answer: what a client sees
   * when a server closes a keep-alive connection just as a request arrives.
   */
  dropAfterRequests?: number;
}

/** A running echo backend. */
export interface EchoBackend {
  port: number;
  name: string;
  /** Connections accepted so far. */
  connections(): number;
  /** Requests received so far (counted on arrival, before any delay or hold). */
  requests(): number;
  /** Method, target and headers of every request received so far, in order. */
  received(): { method: string; target: string; headers: [string, string][] }[];
  /** Connections that have ended so far, on either side. */
  closedConnections(): number;
  /** Requests waiting for `release()` now. */
  held(): number;
  /** Lets every held request (and every later one) be answered. */
  release(): void;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Starts an echo backend on a free 127.0.0.1 port. */
export function startEchoBackend(options: EchoBackendOptions = {}): EchoBackend {
  const name = options.name ?? "echo";
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0, transport: "tcp" });
  const conns = new Set<Deno.Conn>();
  const tasks = new Set<Promise<void>>();
  let connections = 0;
  let closedConnections = 0;
  let requests = 0;
  const received: { method: string; target: string; headers: [string, string][] }[] = [];
  // Tries per `x-echo-key`, for `x-echo-succeed-after`.
  const tries = new Map<string, number>();
  let released = false;
  let held = 0;
  let releaseAll = () => {};
  const releasedPromise = new Promise<void>((resolve) => releaseAll = resolve);
  const accepting = (async () => {
    for await (const conn of listener) {
      // Head and body go out in separate writes: without this, Nagle holds
      // the body until the proxy's delayed ACK (40 ms a response).
      conn.setNoDelay(true);
      connections++;
      conns.add(conn);
      const task = serveConnection(conn, connections).catch(() => {}).finally(() => {
        closedConnections++;
        conns.delete(conn);
        try {
          conn.close();
        } catch { /* already closed */ }
        tasks.delete(task);
      });
      tasks.add(task);
    }
  })().catch(() => {});

  async function serveConnection(conn: Deno.Conn, id: number): Promise<void> {
    const reader = new ByteReader(conn);
    for (let served = 0;; served++) {
      const idle = options.idleCloseMs === undefined
        ? undefined
        : setTimeout(() => conn.close(), options.idleCloseMs);
      const head = await reader.readUntil("\r\n\r\n");
      if (idle !== undefined) clearTimeout(idle);
      if (head === null) return;
      const lines = head.split("\r\n");
      const [method, target] = lines[0].split(" ");
      const headers: [string, string][] = lines.slice(1).map((l) => {
        const i = l.indexOf(":");
        return [l.slice(0, i), l.slice(i + 1).trim()];
      });
      const get = (n: string) => headers.find(([k]) => k.toLowerCase() === n)?.[1];
      let body: Uint8Array;
      const chunked = get("transfer-encoding")?.toLowerCase() === "chunked";
      if (chunked) {
        const parts: Uint8Array[] = [];
        for (;;) {
          const size = parseInt((await reader.readUntil("\r\n")) ?? "0", 16);
          if (size === 0) {
            await reader.readUntil("\r\n");
            break;
          }
          parts.push(await reader.readExact(size));
          await reader.readExact(2);
        }
        body = concatBytes(parts);
      } else {
        body = await reader.readExact(Number(get("content-length") ?? "0"));
      }
      if (options.dropAfterRequests !== undefined && served >= options.dropAfterRequests) return;
      requests++;
      received.push({ method, target, headers });
      let status = get("x-echo-status") ?? "200";
      const succeedAfter = get("x-echo-succeed-after");
      if (succeedAfter !== undefined) {
        // The first N tries of a key get `x-echo-status` (default 500), later ones 200.
        const key = get("x-echo-key") ?? "";
        const n = (tries.get(key) ?? 0) + 1;
        tries.set(key, n);
        status = n > Number(succeedAfter) ? "200" : get("x-echo-status") ?? "500";
      }
      const delay = Number(get("x-echo-delay") ?? "0");
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      const action = get("x-echo-action");
      if (action === "hold" && !released) {
        held++;
        await releasedPromise;
        held--;
      }
      if (action === "close") return;
      if (action === "garbage") {
        await writeAll(conn, encoder.encode("HTTP/1.1 abc nope\r\n\r\n"));
        return;
      }
      if (action === "truncate") {
        await writeAll(
          conn,
          encoder.encode("HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n0123456789"),
        );
        return;
      }
      const extra = headers
        .filter(([k]) => k.toLowerCase().startsWith("x-echo-header-"))
        .map(([k, v]) => `${k.slice("x-echo-header-".length)}: ${v}\r\n`).join("");
      const streamCount = Number(get("x-echo-stream") ?? "0");
      if (streamCount > 0) {
        await writeAll(
          conn,
          encoder.encode(`HTTP/1.1 ${status} OK\r\n${extra}transfer-encoding: chunked\r\n\r\n`),
        );
        for (let i = 0; i < streamCount; i++) {
          const piece = encoder.encode(`chunk ${i}\n`);
          await writeAll(conn, encoder.encode(`${piece.length.toString(16)}\r\n`));
          await writeAll(conn, piece);
          await writeAll(conn, encoder.encode("\r\n"));
          if (i === 0 && get("x-echo-stream-hold") === "1" && !released) {
            held++;
            await releasedPromise;
            held--;
          }
          await new Promise((r) => setTimeout(r, 50));
        }
        await writeAll(conn, encoder.encode("0\r\n\r\n"));
        continue;
      }
      let payload: Uint8Array;
      let type = "application/json";
      if (action === "raw") {
        payload = body;
        type = "application/octet-stream";
      } else if (get("x-echo-size") !== undefined) {
        payload = pattern(Number(get("x-echo-size")));
        type = "application/octet-stream";
      } else {
        const record: EchoRecord = {
          method,
          target,
          headers,
          body: decoder.decode(body),
          bodyLength: body.length,
          chunked,
          name,
          connection: id,
        };
        payload = encoder.encode(JSON.stringify(record));
      }
      const noBody = method === "HEAD" || status === "204" || status === "304";
      if (get("x-echo-chunked") === "1" && !noBody) {
        const size = Number(get("x-echo-chunk-size") ?? "1000");
        await writeAll(
          conn,
          encoder.encode(
            `HTTP/1.1 ${status} OK\r\n${extra}content-type: ${type}\r\ntransfer-encoding: chunked\r\n\r\n`,
          ),
        );
        for (let i = 0; i < payload.length; i += size) {
          const piece = payload.subarray(i, i + size);
          await writeAll(conn, encoder.encode(`${piece.length.toString(16)};ext=1\r\n`));
          await writeAll(conn, piece);
          await writeAll(conn, encoder.encode("\r\n"));
        }
        await writeAll(conn, encoder.encode("0\r\nx-trailer: t\r\n\r\n"));
      } else {
        const lengthHeader = status === "204" || status === "304"
          ? ""
          : `content-length: ${payload.length}\r\n`;
        await writeAll(
          conn,
          encoder.encode(
            `HTTP/1.1 ${status} OK\r\n${extra}content-type: ${type}\r\n${lengthHeader}\r\n`,
          ),
        );
        if (!noBody) await writeAll(conn, payload);
      }
    }
  }

  const backend: EchoBackend = {
    port: (listener.addr as Deno.NetAddr).port,
    name,
    connections: () => connections,
    requests: () => requests,
    received: () => [...received],
    closedConnections: () => closedConnections,
    held: () => held,
    release() {
      released = true;
      releaseAll();
    },
    async close() {
      backend.release();
      try {
        listener.close();
      } catch { /* closed */ }
      for (const conn of conns) {
        try {
          conn.close();
        } catch { /* closed */ }
      }
      await accepting;
      await Promise.allSettled([...tasks]);
    },
    [Symbol.asyncDispose]: () => backend.close(),
  };
  return backend;
}

/** Deterministic bytes for size tests: byte `i` is `i % 251`. */
export function pattern(length: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = i % 251;
  return out;
}

async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.length) off += await conn.write(data.subarray(off));
}

/** Buffered reads over a connection. */
class ByteReader {
  #buf = new Uint8Array(0);
  constructor(private conn: Deno.Conn) {}

  async #more(): Promise<boolean> {
    const chunk = new Uint8Array(65536);
    const n = await this.conn.read(chunk);
    if (n === null) return false;
    const next = new Uint8Array(this.#buf.length + n);
    next.set(this.#buf);
    next.set(chunk.subarray(0, n), this.#buf.length);
    this.#buf = next;
    return true;
  }

  /** Text up to `delimiter` (consumed), or `null` at end of stream. */
  async readUntil(delimiter: string): Promise<string | null> {
    const d = encoder.encode(delimiter);
    for (;;) {
      outer: for (let i = 0; i + d.length <= this.#buf.length; i++) {
        for (let j = 0; j < d.length; j++) if (this.#buf[i + j] !== d[j]) continue outer;
        const text = decoder.decode(this.#buf.subarray(0, i));
        this.#buf = this.#buf.slice(i + d.length);
        return text;
      }
      if (!(await this.#more())) return null;
    }
  }

  async readExact(n: number): Promise<Uint8Array> {
    while (this.#buf.length < n) {
      if (!(await this.#more())) throw new Error("Cannot read request body: connection ended");
    }
    const out = this.#buf.slice(0, n);
    this.#buf = this.#buf.slice(n);
    return out;
  }
}
