/**
 * Backends for upgrade tests: a WebSocket echo server (`Deno.serve` and
 * `Deno.upgradeWebSocket`, so it is the real thing), a raw `Upgrade: foo`
 * server that answers 101 and echoes bytes upper-cased, and a WebSocket
 * client helper that waits for events instead of sleeping.
 * @module
 */
import { serveLoopback } from "./loopback_server.ts";

/** A running backend. */
export interface UpgradeBackend {
  port: number;
  /** Upgrade requests received, with their headers. */
  requests: Record<string, string>[];
  close(): Promise<void>;
}

/**
 * Echoes every message back (text as text, binary as binary). Selects the
 * first subprotocol the client offers; a request with `x-refuse` gets 426.
 * The text message `headers` is answered with the upgrade request's headers as JSON.
 * With `tls` it serves WebSocket over TLS (`wss`, `kubernetes.io/wss`).
 */
export function startWebSocketEcho(tls?: { cert: string; key: string }): UpgradeBackend {
  const requests: Record<string, string>[] = [];
  const sockets = new Set<WebSocket>();
  const options = { hostname: "127.0.0.1", port: 0, onListen() {}, ...tls };
  const server = Deno.serve(options, (req) => {
    const headers = Object.fromEntries(req.headers);
    requests.push(headers);
    if (req.headers.get("upgrade")?.toLowerCase() !== "websocket" || req.headers.has("x-refuse")) {
      return new Response("upgrade refused\n", { status: 426, headers: { "x-backend": "ws" } });
    }
    const offered = req.headers.get("sec-websocket-protocol")?.split(",")[0]?.trim();
    const { socket, response } = Deno.upgradeWebSocket(req, offered ? { protocol: offered } : {});
    sockets.add(socket);
    socket.onclose = () => sockets.delete(socket);
    socket.onmessage = (e) => {
      if (e.data === "headers") socket.send(JSON.stringify(headers));
      else socket.send(e.data);
    };
    return response;
  });
  return {
    port: (server.addr as Deno.NetAddr).port,
    requests,
    async close() {
      for (const s of sockets) s.close();
      await server.shutdown();
    },
  };
}

/** Answers `Upgrade: foo` with 101 and then echoes bytes upper-cased (ASCII). */
export function startRawUpgradeBackend(): UpgradeBackend {
  const requests: Record<string, string>[] = [];
  const server = serveLoopback(async (conn) => {
    const buf = new Uint8Array(16 * 1024);
    let text = "";
    while (!text.includes("\r\n\r\n")) {
      const n = await conn.read(buf);
      if (n === null) return;
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
    const [head, rest] = [
      text.slice(0, text.indexOf("\r\n\r\n")),
      text.slice(text.indexOf("\r\n\r\n") + 4),
    ];
    const headers: Record<string, string> = {};
    for (const line of head.split("\r\n").slice(1)) {
      const at = line.indexOf(":");
      headers[line.slice(0, at).toLowerCase()] = line.slice(at + 1).trim();
    }
    requests.push(headers);
    const enc = new TextEncoder();
    await conn.write(
      enc.encode(
        "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: foo\r\n\r\n",
      ),
    );
    if (rest !== "") await conn.write(enc.encode(rest.toUpperCase()));
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      await conn.write(enc.encode(new TextDecoder().decode(buf.subarray(0, n)).toUpperCase()));
    }
  });
  return { port: server.port, requests, close: server.close };
}

/** A WebSocket whose messages and close are awaited in order. */
export class TestSocket {
  readonly ws: WebSocket;
  readonly #messages: (string | ArrayBuffer)[] = [];
  #waiters: (() => void)[] = [];
  readonly opened: Promise<void>;
  readonly closed: Promise<CloseEvent>;

  /** `client`: an HTTP client trusting a test CA, for `wss://` URLs. */
  constructor(url: string, protocols?: string[], client?: Deno.HttpClient) {
    this.ws = client === undefined
      ? new WebSocket(url, protocols)
      // Deno's WebSocket takes an options bag with the HTTP client to connect with.
      : new WebSocket(url, { protocols, client } as unknown as string[]);
    this.ws.binaryType = "arraybuffer";
    this.opened = new Promise((resolve, reject) => {
      this.ws.onopen = () => resolve();
      this.ws.onerror = (e) =>
        reject(new Error(`WebSocket to ${url} failed: ${(e as ErrorEvent).message}`));
    });
    this.closed = new Promise((resolve) => this.ws.addEventListener("close", resolve));
    this.ws.onmessage = (e) => {
      this.#messages.push(e.data);
      for (const w of this.#waiters.splice(0)) w();
    };
    this.closed.then(() => {
      for (const w of this.#waiters.splice(0)) w();
    });
  }

  /** The next message; rejects if the socket closes first. */
  async next(): Promise<string | ArrayBuffer> {
    while (this.#messages.length === 0) {
      if (this.ws.readyState === WebSocket.CLOSED) throw new Error("WebSocket closed");
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
    return this.#messages.shift()!;
  }

  /** Sends `data` and returns the next message. */
  async echo(data: string | Uint8Array): Promise<string | ArrayBuffer> {
    this.ws.send(data);
    return await this.next();
  }
}
