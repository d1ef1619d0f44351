/**
 * A backend's trailers through our HTTP/1.1 server: a chunked trailer section
 * (RFC 9112 §7.1.2) to a client that sent `TE: trailers`, nothing to one that
 * did not; fields that must not be trailers (RFC 9110 §6.5.1) are left out.
 */
import { assertEquals } from "@std/assert";
import {
  attachTrailers,
  deliversTrailers,
  type Trailers,
} from "../../../src/dataplane/response_trailers.ts";
import { trailerFields } from "../../../src/dataplane/h2/h2_headers.ts";
import { RequestCompletion } from "../../../src/dataplane/request_completion.ts";
import { namesTrailers, trailerSection } from "../../../src/dataplane/h1/h1_trailers.ts";
import { exchangeUntilClose, startH1 } from "./_h1_harness.ts";

/** A streamed body ("hello"), declared 5 bytes long, with `trailers` beside it. */
function withTrailers(trailers: Trailers): Response {
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(new TextEncoder().encode("hello"));
      c.close();
    },
  });
  return attachTrailers(
    new Response(body, { headers: { "content-length": "5" } }),
    Promise.resolve(trailers),
  );
}

const SENT: Trailers = [
  ["x-checksum", "abc"],
  ["grpc-status", "0"],
  ["content-length", "99"],
  ["set-cookie", "a=b"],
  ["x-bad", "a\r\nx-injected: 1"],
];

Deno.test("a client that sent TE: trailers gets the backend's trailers after a chunked body", async () => {
  await using server = startH1(() => withTrailers(SENT));
  const got = await exchangeUntilClose(
    server.port,
    "GET / HTTP/1.1\r\nHost: a\r\nTE: trailers\r\nConnection: close\r\n\r\n",
  );
  const split = got.indexOf("\r\n\r\n");
  const head = got.slice(0, split);
  assertEquals(/transfer-encoding: chunked/i.test(head), true, head);
  assertEquals(/content-length/i.test(head), false, head);
  assertEquals(
    got.slice(split + 4),
    "5\r\nhello\r\n0\r\nx-checksum: abc\r\ngrpc-status: 0\r\n\r\n",
  );
});

Deno.test("a client that did not send TE: trailers gets the body alone, framed as the backend said", async () => {
  await using server = startH1(() => withTrailers(SENT));
  const got = await exchangeUntilClose(
    server.port,
    "GET / HTTP/1.1\r\nHost: a\r\nTE: gzip\r\nConnection: close\r\n\r\n",
  );
  assertEquals(/content-length: 5/i.test(got), true, got);
  assertEquals(got.slice(got.indexOf("\r\n\r\n") + 4), "hello");
});

Deno.test("an HTTP/1.0 client gets no trailers, whatever it says", async () => {
  await using server = startH1(() => withTrailers(SENT));
  const got = await exchangeUntilClose(
    server.port,
    "GET / HTTP/1.0\r\nHost: a\r\nTE: trailers\r\n\r\n",
  );
  assertEquals(got.slice(got.indexOf("\r\n\r\n") + 4), "hello");
});

Deno.test("TE names trailers in a list, with parameters, in any case", () => {
  assertEquals(namesTrailers("gzip;q=0.5, Trailers"), true);
  assertEquals(namesTrailers("trailers;q=1"), true);
  assertEquals(namesTrailers("gzip"), false);
  assertEquals(namesTrailers(""), false);
});

Deno.test("a trailer section leaves out pseudo-fields, bad names and values and forbidden fields", () => {
  const text = new TextDecoder().decode(trailerSection([
    [":status", "200"],
    ["bad name", "x"],
    ["Host", "evil"],
    ["X-Ok", "fine\tvalue"],
  ]));
  assertEquals(text, "0\r\nx-ok: fine\tvalue\r\n\r\n");
});

Deno.test("HTTP/2 trailer fields leave out what no trailer section may carry, as HTTP/1.1's do", () => {
  assertEquals(
    trailerFields([["X-Sum", "1"], ["Content-Length", "7"], [":status", "200"], ["te", "x"]]),
    [["x-sum", "1"]],
  );
});

Deno.test("the server's info says whether trailers reach the client; absent, they do not", () => {
  const addr = { transport: "tcp", hostname: "127.0.0.1", port: 1 } as const;
  assertEquals(deliversTrailers(new RequestCompletion(addr, true)), true);
  assertEquals(deliversTrailers(new RequestCompletion(addr)), false);
  assertEquals(deliversTrailers({ remoteAddr: addr, completed: Promise.resolve() }), false);
});
