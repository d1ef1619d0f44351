/**
 * Response trailers from an HTTP/1.1 backend and `TE: trailers` towards it:
 * a request whose client takes trailers says so to the backend (RFC 9110
 * §10.1.4, with the `te` connection option) and gets every trailer section
 * read, announced with `Trailer` or not (RFC 9112 §7.1.2); a request whose
 * client does not sends no `TE` and gets only announced trailers read.
 */
import { assertEquals, assertStringIncludes } from "@std/assert";
import { createHttp1Client } from "../../src/dataplane/upstream_http1.ts";
import type { UpstreamRequest, UpstreamResponse } from "../../src/dataplane/upstream_types.ts";
import { serveLoopback } from "../_helpers/loopback_server.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * A backend on loopback that answers each request on a connection with
 * `answer` and notes every request head it read.
 */
function scriptedBackend(answer: string) {
  const heads: string[] = [];
  const server = serveLoopback(async (conn) => {
    const buf = new Uint8Array(16 * 1024);
    let text = "";
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
  });
  return Object.assign(server, { heads, connections: server.accepted });
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

/**
 * One client sends a GET per entry of `accepts` (whether the request's own
 * client takes trailers) to a backend answering each with `answer`; every
 * body must read "ok", then `check` looks at the response. Returns what the
 * backend saw: the request heads and how many connections they came on.
 */
async function exchanges(
  answer: string,
  accepts: (boolean | undefined)[],
  check: (res: UpstreamResponse) => Promise<void> | void,
): Promise<{ heads: string[]; connections: number }> {
  await using backend = scriptedBackend(answer);
  const client = createHttp1Client();
  try {
    const ep = { address: "127.0.0.1", port: backend.port };
    for (const takes of accepts) {
      const res = await client.request(ep, get(takes), { timeoutMs: 0 });
      assertEquals(await new Response(res.body as BodyInit).text(), "ok");
      await check(res);
    }
    return { heads: backend.heads, connections: backend.connections() };
  } finally {
    client.close();
  }
}

Deno.test("a client that takes trailers gets unannounced ones, and the backend is told TE: trailers", async () => {
  const backend = await exchanges(UNANNOUNCED, [true, true], async (res) => {
    assertEquals(await res.trailers, [["x-checksum", "abc"], ["x-other", "2"]]);
  });
  const head = backend.heads[0].toLowerCase() + "\r\n";
  assertStringIncludes(head, "\r\nte: trailers\r\n");
  assertStringIncludes(head, "\r\nconnection: te\r\n");
  assertEquals(backend.connections, 1);
});

Deno.test("a client that does not take trailers sends no TE, and unannounced trailers are dropped", async () => {
  const backend = await exchanges(UNANNOUNCED, [undefined, false], (res) => {
    assertEquals(res.trailers, undefined);
  });
  for (const head of backend.heads) {
    assertEquals(/\r\n(te|connection):/i.test(head), false, head);
  }
  assertEquals(backend.connections, 1);
});

Deno.test("announced trailers are read whether or not the client said it takes them", async () => {
  await exchanges(ANNOUNCED, [undefined, true], async (res) => {
    assertEquals(await res.trailers, [["x-checksum", "abc"]]);
  });
});
