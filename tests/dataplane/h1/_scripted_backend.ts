/**
 * A raw HTTP/1.1 backend for byte-level tests: it records each request's
 * bytes exactly as received (head and body) and answers by the first path
 * segment with a scripted response, among them answers no `Response` shapes
 * the same way (repeated fields, chunked bodies, no length, a close without
 * an answer, no answer at all).
 */
import { bytesOf } from "./_h1_harness.ts";

const latin1 = new TextDecoder("latin1");

/** Size of the `/big` answer's body: past what the upstream client reads whole. */
export const BIG_BODY_BYTES = 300_000;

/** A running scripted backend. */
export interface ScriptedBackend extends AsyncDisposable {
  port: number;
  /** Every request received, as latin-1 text, in order. */
  received: string[];
}

/** The answer to a request for `target` (by method); `null`: close without answering; `"hang"`: never answer. */
function answerFor(method: string, target: string): string | null | "hang" {
  const segment = target.split(/[/?]/)[1];
  switch (segment) {
    case "chunked":
      return "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n" +
        "5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n";
    case "trailers":
      return "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n" +
        "5\r\nhello\r\n0\r\nX-Sum: 1\r\nContent-Length: 9\r\n\r\n";
    case "multi":
      return "HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nX-M: 1\r\nset-cookie: b=2\r\nX-M: 2\r\n" +
        "X-Upper: Y\r\nDate: Mon, 01 Jan 2024 00:00:00 GMT\r\nContent-Length: 2\r\n\r\nok";
    case "s204":
      return "HTTP/1.1 204 No Content\r\nx-b: 1\r\n\r\n";
    case "s304":
      return 'HTTP/1.1 304 Not Modified\r\netag: "v1"\r\n\r\n';
    case "headnolen":
      return "HTTP/1.1 200 OK\r\nx-b: 1\r\n\r\n";
    case "big":
      return `HTTP/1.1 200 OK\r\ncontent-length: ${BIG_BODY_BYTES}\r\n\r\n` +
        (method === "HEAD" ? "" : "b".repeat(BIG_BODY_BYTES));
    case "s404":
      return "HTTP/1.1 404 Not Found\r\ncontent-length: 4\r\n\r\nnope";
    case "close":
      return null;
    case "hang":
      return "hang";
  }
  return `HTTP/1.1 200 OK\r\nx-b: 1\r\ncontent-length: 3\r\n\r\n${method === "HEAD" ? "" : "ok\n"}`;
}

/** Starts a scripted backend on a loopback port. */
export function startScriptedBackend(): ScriptedBackend {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const received: string[] = [];
  const conns = new Set<Deno.Conn>();
  const serving = (async () => {
    for await (const conn of listener) {
      conns.add(conn);
      serveOne(conn, received).finally(() => {
        conns.delete(conn);
        try {
          conn.close();
        } catch {
          // Already closed.
        }
      });
    }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    received,
    async [Symbol.asyncDispose]() {
      listener.close();
      await serving.catch(() => {});
      for (const c of conns) c.close();
    },
  };
}

/** Serves the requests of one connection until it closes or an answer is to close it. */
async function serveOne(conn: Deno.Conn, received: string[]): Promise<void> {
  let text = "";
  const buf = new Uint8Array(64 * 1024);
  for (;;) {
    const request = takeRequest(text);
    if (request === undefined) {
      const n = await conn.read(buf).catch(() => null);
      if (n === null) return;
      text += latin1.decode(buf.subarray(0, n));
      continue;
    }
    text = text.slice(request.length);
    received.push(request);
    const [method, target] = request.slice(0, request.indexOf("\r\n")).split(" ");
    const answer = answerFor(method, target);
    if (answer === null) return;
    if (answer === "hang") {
      await conn.read(buf).catch(() => null); // Until the proxy gives up and closes.
      return;
    }
    await conn.write(bytesOf(answer));
  }
}

/** The first whole request in `text` (head and body, by its framing), or `undefined`. */
function takeRequest(text: string): string | undefined {
  const headEnd = text.indexOf("\r\n\r\n");
  if (headEnd === -1) return undefined;
  const head = text.slice(0, headEnd).toLowerCase();
  const length = /\r\ncontent-length: *(\d+)/.exec(head);
  if (length !== null) {
    const end = headEnd + 4 + Number(length[1]);
    return text.length >= end ? text.slice(0, end) : undefined;
  }
  if (/\r\ntransfer-encoding: *chunked/.test(head)) {
    const end = text.indexOf("\r\n0\r\n\r\n", headEnd);
    return end === -1 ? undefined : text.slice(0, end + 7);
  }
  return text.slice(0, headEnd + 4);
}
