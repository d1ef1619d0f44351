/**
 * Response trailers from an HTTP/1.1 backend and `TE: trailers` towards it:
 * a request whose client takes trailers says so to the backend (RFC 9110
 * §10.1.4, with the `te` connection option) and gets every trailer section
 * read, announced with `Trailer` or not (RFC 9112 §7.1.2); a request whose
 * client does not sends no `TE` and gets only announced trailers read.
 */
import { assertEquals, assertStringIncludes } from "@std/assert";
import { createHttp1Client } from "../../src/dataplane/upstream_http1.ts";
import type { UpstreamRequest } from "../../src/dataplane/upstream_types.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * A backend on loopback that answers each request on a connection with
 * `answer` and notes every request head it read.
 */
function scriptedBackend(answer: string) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const heads: string[] = [];
  const conns: Deno.Conn[] = [];
  const serve = async (conn: Deno.Conn) => {
    conns.push(conn);
    const buf = new Uint8Array(16 * 1024);
    let text = "";
    try {
      for (;;) {
        const n = await conn.read(buf);
        if (n === null) return;
        text += decoder.decode(buf.subarray(0, n));
        for (let end = text.indexOf("\r\n\r\n"); end !== -1; end = text.indexOf("\r\n\r\n")) {
          heads.push(text.slice(0, end));
          text = text.slice(end + 4);
          await conn.write(encoder.encode(answer));
        }
      }
    } catch {
      // The client closed the connection.
    }
  };
  const accepting = (async () => {
    for await (const conn of listener) serve(conn);
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    heads,
    connections: () => conns.length,
    async [Symbol.asyncDispose]() {
      listener.close();
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed already */ }
      }
      await accepting;
    },
  };
}

function get(acceptsTrailers?: boolean): UpstreamRequest {
  return {
    method: "GET",
    target: "/",
    headers: ["host", "a"],
    body: null,
    contentLength: null,
    acceptsTrailers,
  };
}

const UNANNOUNCED = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" +
  "2\r\nok\r\n0\r\nX-Checksum: abc\r\nX-Other:  2 \r\n\r\n";
const ANNOUNCED = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: x-checksum\r\n\r\n" +
  "2\r\nok\r\n0\r\nX-Checksum: abc\r\n\r\n";

Deno.test("a client that takes trailers gets unannounced ones, and the backend is told TE: trailers", async () => {
  await using backend = scriptedBackend(UNANNOUNCED);
  const client = createHttp1Client();
  try {
    const ep = { address: "127.0.0.1", port: backend.port };
    for (let i = 0; i < 2; i++) {
      const res = await client.request(ep, get(true), { timeoutMs: 0 });
      assertEquals(await new Response(res.body as BodyInit).text(), "ok");
      assertEquals(await res.trailers, [["x-checksum", "abc"], ["x-other", "2"]]);
    }
    const head = backend.heads[0].toLowerCase() + "\r\n";
    assertStringIncludes(head, "\r\nte: trailers\r\n");
    assertStringIncludes(head, "\r\nconnection: te\r\n");
    assertEquals(backend.connections(), 1);
  } finally {
    client.close();
  }
});

Deno.test("a client that does not take trailers sends no TE, and unannounced trailers are dropped", async () => {
  await using backend = scriptedBackend(UNANNOUNCED);
  const client = createHttp1Client();
  try {
    const ep = { address: "127.0.0.1", port: backend.port };
    for (const accepts of [undefined, false]) {
      const res = await client.request(ep, get(accepts), { timeoutMs: 0 });
      assertEquals(await new Response(res.body as BodyInit).text(), "ok");
      assertEquals(res.trailers, undefined);
    }
    for (const head of backend.heads) {
      assertEquals(/\r\n(te|connection):/i.test(head), false, head);
    }
    assertEquals(backend.connections(), 1);
  } finally {
    client.close();
  }
});

Deno.test("announced trailers are read whether or not the client said it takes them", async () => {
  await using backend = scriptedBackend(ANNOUNCED);
  const client = createHttp1Client();
  try {
    const ep = { address: "127.0.0.1", port: backend.port };
    for (const accepts of [undefined, true]) {
      const res = await client.request(ep, get(accepts), { timeoutMs: 0 });
      assertEquals(await new Response(res.body as BodyInit).text(), "ok");
      assertEquals(await res.trailers, [["x-checksum", "abc"]]);
    }
  } finally {
    client.close();
  }
});
