/**
 * The request head rules of RFC 9112 our HTTP/1.1 server enforces, one
 * test per rule: what is accepted, and the status of what is refused.
 */
import { assertEquals, assertThrows } from "@std/assert";
import {
  H1RequestError,
  parseRequestHead,
  type RequestHead,
} from "../../../src/dataplane/h1/h1_request_head.ts";

function parse(head: string, maxFields?: number): RequestHead {
  const bytes = new Uint8Array([...head].map((c) => c.charCodeAt(0)));
  return parseRequestHead(bytes, 0, bytes.length, maxFields);
}

function refused(head: string, status: number, maxFields?: number): void {
  const error = assertThrows(() => parse(head, maxFields), H1RequestError) as H1RequestError;
  assertEquals(error.status, status, `${JSON.stringify(head)}: ${error.message}`);
}

Deno.test("a plain GET: method, target, version, lower-cased names, trimmed values", () => {
  const head = parse("GET /a?b=1 HTTP/1.1\r\nHost: example.com\r\nX-Thing:  v  \t");
  assertEquals(head.method, "GET");
  assertEquals(head.target, "/a?b=1");
  assertEquals(head.minor, 1);
  assertEquals(head.host, "example.com");
  assertEquals(head.fields.pairs(), [["host", "example.com"], ["x-thing", "v"]]);
  assertEquals(head.keepAlive, true);
  assertEquals(head.contentLength, -1);
  assertEquals(head.chunked, false);
});

Deno.test("the request line: malformed ones are 400, other HTTP major versions 505", () => {
  refused("GET  / HTTP/1.1\r\nHost: a", 400);
  refused("GET / HTTP/1.1 \r\nHost: a", 400);
  refused("GET /\r\nHost: a", 400);
  refused("G(T / HTTP/1.1\r\nHost: a", 400);
  refused("GET /a b HTTP/1.1\r\nHost: a", 400);
  refused("GET / http/1.1\r\nHost: a", 400);
  refused("GET / HTTP/2.0\r\nHost: a", 505);
  refused("GET / HTTP/0.9\r\nHost: a", 505);
});

Deno.test("a later HTTP/1 minor version is read as HTTP/1.1 (RFC 9110 §2.5)", () => {
  for (const version of ["HTTP/1.2", "HTTP/1.9"]) {
    const head = parse(`POST / ${version}\r\nHost: a\r\nTransfer-Encoding: chunked`);
    assertEquals(head.minor, 1);
    assertEquals(head.keepAlive, true);
    assertEquals(head.chunked, true);
  }
  assertEquals(parse("GET / HTTP/1.0\r\nHost: a").minor, 0);
});

Deno.test("request targets: origin-form, absolute-form, * for OPTIONS; others are 400", () => {
  assertEquals(parse("GET http://a.example/x HTTP/1.1\r\nHost: b").target, "http://a.example/x");
  assertEquals(parse("OPTIONS * HTTP/1.1\r\nHost: b").target, "*");
  refused("GET * HTTP/1.1\r\nHost: b", 400);
  refused("CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443", 400);
  refused("GET ftp://a/ HTTP/1.1\r\nHost: b", 400);
});

Deno.test("Host: absent is left to the handler (null), twice is 400", () => {
  assertEquals(parse("GET / HTTP/1.1\r\nX: y").host, null);
  assertEquals(parse("GET / HTTP/1.0").host, null);
  refused("GET / HTTP/1.1\r\nHost: a\r\nHost: b", 400);
  refused("GET / HTTP/1.1\r\nHost: a\r\nHost: a", 400);
});

Deno.test("field lines: whitespace before the colon, obs-fold and control characters are 400", () => {
  refused("GET / HTTP/1.1\r\nHost : a", 400);
  refused("GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n  folded", 400);
  refused("GET / HTTP/1.1\r\nHost: a\r\n\tX: b", 400);
  refused("GET / HTTP/1.1\r\nHost: a\r\nX: b\x00c", 400);
  refused("GET / HTTP/1.1\r\nHost: a\r\nX: b\rc", 400);
  refused("GET / HTTP/1.1\r\nHost: a\r\nX: b\nY: c", 400);
  refused("GET / HTTP/1.1\r\nHost: a\r\n: empty", 400);
  refused("GET / HTTP/1.1\r\nHost: a\r\nno colon", 400);
  assertEquals(parse("GET / HTTP/1.1\r\nHost: a\r\nX: caf\xe9").fields.pairs()[1], [
    "x",
    "caf\xe9",
  ]);
});

Deno.test("more header fields than the limit is 431", () => {
  const fields = Array.from({ length: 5 }, (_, i) => `X-${i}: v`).join("\r\n");
  parse(`GET / HTTP/1.1\r\nHost: a\r\n${fields}`, 6);
  refused(`GET / HTTP/1.1\r\nHost: a\r\n${fields}`, 431, 5);
});

Deno.test("Content-Length: digits only; repeats must agree", () => {
  assertEquals(parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5").contentLength, 5);
  assertEquals(parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5").contentLength, 5);
  assertEquals(
    parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5").contentLength,
    5,
  );
  assertEquals(
    parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 000000000000042").contentLength,
    42,
  );
  refused("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 6", 400);
  refused("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6", 400);
  refused("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1", 400);
  refused("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x10", 400);
  refused("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1e3", 400);
  refused("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: ", 400);
  refused("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\xa0", 400);
  refused("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9999999999999999", 400);
});

Deno.test("Transfer-Encoding: only a lone chunked; any other, with Content-Length or in HTTP/1.0 is 400", () => {
  assertEquals(parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked").chunked, true);
  refused("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3", 400);
  refused("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked", 400);
  refused("POST / HTTP/1.0\r\nTransfer-Encoding: chunked", 400);
  refused("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip", 400);
  refused("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip", 400);
  refused("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\xa0", 400);
  refused("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked", 400);
  refused("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked", 400);
  refused(
    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked",
    400,
  );
  refused("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked,", 400);
});

Deno.test("keep-alive: HTTP/1.1 unless Connection: close; HTTP/1.0 only with keep-alive", () => {
  assertEquals(parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: close").keepAlive, false);
  assertEquals(parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: foo, close").keepAlive, false);
  assertEquals(parse("GET / HTTP/1.0").keepAlive, false);
  assertEquals(parse("GET / HTTP/1.0\r\nConnection: keep-alive").keepAlive, true);
});

Deno.test("Expect: 100-continue is noted (HTTP/1.1 only); any other expectation is 417", () => {
  assertEquals(parse("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue").expectContinue, true);
  assertEquals(parse("POST / HTTP/1.0\r\nExpect: 100-continue").expectContinue, false);
  refused("POST / HTTP/1.1\r\nHost: a\r\nExpect: something", 417);
});

Deno.test("TE naming trailers is noted (HTTP/1.1 only), in any field of a repeated TE", () => {
  assertEquals(parse("GET / HTTP/1.1\r\nHost: a\r\nTE: Trailers").trailers, true);
  assertEquals(parse("GET / HTTP/1.1\r\nHost: a\r\nTE: gzip\r\nte: trailers").trailers, true);
  assertEquals(parse("GET / HTTP/1.1\r\nHost: a\r\nTE: gzip").trailers, false);
  assertEquals(parse("GET / HTTP/1.1\r\nHost: a\r\nX-TE: trailers").trailers, false);
  assertEquals(parse("GET / HTTP/1.0\r\nTE: trailers").trailers, false);
});
