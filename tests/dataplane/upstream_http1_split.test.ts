/**
 * The HTTP/1.1 client's exchange over a scripted connection: every response
 * is delivered cut at every byte boundary (and one byte a read), so a head or
 * body that spans reads is read the same as one that came whole, and the
 * connection is offered back for reuse exactly when its framing ended cleanly.
 */
import { assertEquals, assertRejects } from "@std/assert";
import { Http1Connection } from "../../src/dataplane/upstream_connection.ts";
import { exchangeHttp1, type Http1Exchange } from "../../src/dataplane/upstream_http1_exchange.ts";
import type { UpstreamError, UpstreamResponse } from "../../src/dataplane/upstream_types.ts";

const encoder = new TextEncoder();

/** A connection whose reads return `pieces` one by one, then end of stream. */
function scriptedConnection(pieces: Uint8Array[]): Http1Connection {
  let next = 0;
  const conn = {
    read(buf: Uint8Array): Promise<number | null> {
      const piece = pieces[next];
      if (piece === undefined) return Promise.resolve(null);
      // As a socket does: at most what fits, the rest on the next read.
      const n = Math.min(piece.length, buf.length);
      buf.set(piece.subarray(0, n));
      if (n === piece.length) next++;
      else pieces[next] = piece.subarray(n);
      return Promise.resolve(n);
    },
    write: (data: Uint8Array) => Promise.resolve(data.length),
    close() {},
  };
  const c = new Http1Connection(conn as unknown as Deno.TcpConn);
  c.claim();
  return c;
}

/** The exchange of one GET (or `method`), noting whether the connection was offered back. */
function exchangeOf(method = "GET", bufferBodyBytes = 1024) {
  const outcome: { reusable?: boolean } = {};
  const exchange: Http1Exchange = {
    method,
    target: "/",
    headers: ["host", "a"],
    framing: "none",
    body: null,
    bufferBodyBytes,
    readsTrailers: false,
    lendsBody: false,
    done: (_c, reusable) => outcome.reusable = reusable,
    answered() {},
    failed: (_c, error) => Promise.reject(error),
  };
  return { exchange, outcome };
}

async function bodyText(res: UpstreamResponse): Promise<string> {
  return await new Response(res.body as BodyInit | null).text();
}

/** Each cut of `bytes` in two, and `bytes` one byte a read. */
function splits(bytes: Uint8Array): Uint8Array[][] {
  const out: Uint8Array[][] = [];
  for (let at = 1; at < bytes.length; at++) out.push([bytes.subarray(0, at), bytes.subarray(at)]);
  out.push(Array.from(bytes, (_, i) => bytes.subarray(i, i + 1)));
  return out;
}

const cases = [
  {
    name: "a small Content-Length body",
    response: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhello",
    buffer: 1024,
    body: "hello",
    reusable: true,
  },
  {
    name: "a streamed Content-Length body",
    response: "HTTP/1.1 200 OK\r\nContent-Length: 11\r\nX-A: b\r\n\r\nhello world",
    buffer: 4,
    body: "hello world",
    reusable: true,
  },
  {
    name: "a chunked body",
    response: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: b\r\n\r\n" +
      "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n",
    buffer: 1024,
    body: "hello world",
    reusable: true,
  },
  {
    name: "a body that runs to connection close",
    response: "HTTP/1.1 200 OK\r\nConnection: close\r\nX-A: b\r\n\r\nhello world",
    buffer: 1024,
    body: "hello world",
    reusable: false,
  },
  {
    name: "an interim 100 Continue before a small body",
    response:
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A: b\r\n\r\nok",
    buffer: 1024,
    body: "ok",
    reusable: true,
  },
];

for (const t of cases) {
  Deno.test(`${t.name} read across every split of the response is the same answer`, async () => {
    for (const pieces of splits(encoder.encode(t.response))) {
      const { exchange, outcome } = exchangeOf("GET", t.buffer);
      const res = await exchangeHttp1(scriptedConnection(pieces), exchange);
      assertEquals(res.status, 200);
      assertEquals(res.headers, [["x-a", "b"]]);
      assertEquals(await bodyText(res), t.body);
      assertEquals(outcome.reusable, t.reusable, `pieces ${pieces.length}: ${pieces[0].length}`);
    }
  });
}

Deno.test("a chunked body's announced trailers are read across every split", async () => {
  const response = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: x-t\r\n\r\n" +
    "2\r\nok\r\n0\r\nX-T: done\r\n\r\n";
  for (const pieces of splits(encoder.encode(response))) {
    const { exchange, outcome } = exchangeOf();
    const res = await exchangeHttp1(scriptedConnection(pieces), exchange);
    assertEquals(await bodyText(res), "ok");
    assertEquals(await res.trailers, [["x-t", "done"]]);
    assertEquals(outcome.reusable, true);
  }
});

Deno.test("a HEAD answer's Content-Length is told and no body is read", async () => {
  const response = "HTTP/1.1 200 OK\r\nContent-Length: 42\r\n\r\n";
  for (const pieces of splits(encoder.encode(response))) {
    const { exchange, outcome } = exchangeOf("HEAD");
    const res = await exchangeHttp1(scriptedConnection(pieces), exchange);
    assertEquals([res.body, res.contentLength, outcome.reusable], [null, 42, true]);
  }
});

const truncated = [
  { name: "inside the head", response: "HTTP/1.1 200 OK\r\nContent-Le", buffer: 1024 },
  {
    name: "inside a small body",
    response: "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nhel",
    buffer: 1024,
  },
  {
    name: "inside a streamed body",
    response: "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nhel",
    buffer: 4,
  },
  {
    name: "inside a chunked body",
    response: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
    buffer: 1024,
  },
  {
    name: "before a chunked body's last chunk",
    response: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n",
    buffer: 1024,
  },
];

for (const t of truncated) {
  Deno.test(`a backend that closes ${t.name} is a reset, and the connection is not reused`, async () => {
    for (const pieces of splits(encoder.encode(t.response))) {
      const { exchange, outcome } = exchangeOf("GET", t.buffer);
      const error = await assertRejects(async () => {
        const res = await exchangeHttp1(scriptedConnection(pieces), exchange);
        await bodyText(res);
      });
      assertEquals((error as UpstreamError).kind, "reset", String(error));
      assertEquals(outcome.reusable === true, false);
    }
  });
}
