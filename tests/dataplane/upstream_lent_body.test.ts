/**
 * A backend's small body lent from the pooled connection's read buffer
 * (`UpstreamRequest.takesBodyAtOnce`): the bytes stay as they came until a
 * read of the connection completes, also when the read a park starts takes
 * bytes at once (the runtime's read does when some are waiting); and through
 * our HTTP/1.1 server and the pooled client, every answer on a reused
 * connection carries its own body, lent or copied.
 */
import { assertEquals } from "@std/assert";
import { Http1Connection } from "../../src/dataplane/upstream_connection.ts";
import { exchangeHttp1, type Http1Exchange } from "../../src/dataplane/upstream_http1_exchange.ts";
import type { UpstreamResponse } from "../../src/dataplane/upstream_types.ts";
import { startByteRig } from "./_byte_backend.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * A connection to a scripted backend: each request written is answered by
 * the next of `answers` in a later turn, into the read then waiting; past
 * them, a read starts by writing `stray` into its buffer, as a read that
 * finds bytes waiting does, and never settles.
 */
function scriptedConnection(answers: string[], stray: string): Http1Connection {
  let next = 0;
  let waiting: { buf: Uint8Array; settle: (n: number) => void } | undefined;
  const conn = {
    read(buf: Uint8Array): Promise<number | null> {
      if (next === answers.length) buf.set(encoder.encode(stray).subarray(0, buf.length));
      return new Promise((settle) => waiting = { buf, settle });
    },
    write(data: Uint8Array): Promise<number> {
      setTimeout(() => {
        const bytes = encoder.encode(answers[next++]);
        const read = waiting!;
        waiting = undefined;
        read.buf.set(bytes);
        read.settle(bytes.length);
      });
      return Promise.resolve(data.length);
    },
    close() {},
  };
  return new Http1Connection(conn as unknown as Deno.TcpConn);
}

function lendingExchange(): Http1Exchange {
  return {
    method: "GET",
    target: "/",
    headers: ["host", "a"],
    framing: "none",
    body: null,
    bufferBodyBytes: 1024,
    readsTrailers: false,
    lendsBody: true,
    done: (c, reusable) => {
      if (reusable) c.park(() => {});
    },
    answered() {},
    failed: (_c, error) => Promise.reject(error),
  };
}

function bodyOf(res: UpstreamResponse): string {
  return decoder.decode(res.body as Uint8Array);
}

Deno.test("a lent body keeps its bytes when the park's read takes stray bytes at once", async () => {
  const c = scriptedConnection(
    ["HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello"],
    "X".repeat(200),
  );
  c.claim();
  const res = await exchangeHttp1(c, lendingExchange());
  assertEquals(bodyOf(res), "hello");
});

Deno.test("answers on one connection each carry their own body, lent and copied", async () => {
  // 150-byte answers: past the buffer's first half they are copied, and the park reads at the start again.
  const bodies = Array.from({ length: 300 }, (_, i) => `answer ${i} `.padEnd(100, "."));
  const answers = bodies.map((b) =>
    `HTTP/1.1 200 OK\r\ncontent-length: ${b.length}\r\nx: y\r\n\r\n${b}`
  );
  const c = scriptedConnection(answers, "");
  for (const body of bodies) {
    c.claim();
    const res = await exchangeHttp1(c, lendingExchange());
    assertEquals(bodyOf(res), body);
  }
});

Deno.test("our HTTP/1.1 server answers each request on a reused backend connection with its own body", async () => {
  let count = 0;
  await using rig = startByteRig((head) => {
    const target = head.slice(head.indexOf(" ") + 1, head.indexOf(" HTTP/1.1"));
    const body = `${target} ${count++} `.padEnd(200 + (count % 7) * 50, "-");
    return `HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n\r\n${body}`;
  });
  // Two clients in turn share the pooled backend connections.
  const clients = [0, 1].map(() => Deno.connect({ hostname: "127.0.0.1", port: rig.port }));
  const conns = await Promise.all(clients);
  try {
    for (let i = 0; i < 200; i++) {
      const conn = conns[i % 2];
      await conn.write(encoder.encode(`GET /r${i} HTTP/1.1\r\nhost: a.example\r\n\r\n`));
      const rest = await readRest(conn, "");
      const body = rest.slice(rest.indexOf("\r\n\r\n") + 4);
      assertEquals(body.startsWith(`/r${i} `), true, body);
      assertEquals(/^\/r\d+ \d+ -+$/.test(body), true, body);
    }
  } finally {
    for (const conn of conns) conn.close();
  }
});

/** The rest of an answer whose first bytes are `text`: until its Content-Length is read. */
async function readRest(conn: Deno.Conn, text: string): Promise<string> {
  const buf = new Uint8Array(16 * 1024);
  for (;;) {
    const end = text.indexOf("\r\n\r\n");
    const length = Number(/content-length: (\d+)/i.exec(text)?.[1]);
    if (end !== -1 && text.length >= end + 4 + length) return text;
    const n = await conn.read(buf);
    if (n === null) throw new Error(`Connection closed inside an answer: ${text}`);
    text += decoder.decode(buf.subarray(0, n));
  }
}
