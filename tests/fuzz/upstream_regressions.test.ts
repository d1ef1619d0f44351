/**
 * Upstream responses the fuzzer found mis-framed, replayed through the real
 * client (in-memory upstream) and the head parser, one test per finding.
 */
import { assertEquals, assertInstanceOf, assertThrows } from "@std/assert";
import { parseResponseHead } from "../../src/dataplane/upstream_head_parser.ts";
import { UpstreamError } from "../../src/dataplane/upstream_types.ts";
import { FakeUpstream } from "./_fake_upstream.ts";
import { Prng } from "./_prng.ts";
import { upstreamCase } from "./upstream_target.ts";
import { createProxyClient } from "../../src/dataplane/upstream_client.ts";

/** Sends one GET through the real client to an upstream answering `response`, then a close. */
async function fetchThrough(response: string): Promise<{ status: number } | { error: unknown }> {
  const upstream = new FakeUpstream(new Prng(1));
  upstream.script = () => response;
  upstream.install();
  const client = createProxyClient();
  try {
    const res = await upstream.settle((async () => {
      const r = await client.request("http", { address: "192.0.2.1", port: 80 }, {
        method: "GET",
        target: "/",
        headers: ["host", "a"],
        body: null,
        contentLength: null,
      }, { timeoutMs: 0 });
      if (r.body instanceof ReadableStream) await new Response(r.body).arrayBuffer();
      return r;
    })());
    return { status: res.status };
  } catch (error) {
    return { error };
  } finally {
    client.close();
    upstream.uninstall();
  }
}

const CHUNK_SIZE_LINES = ["3\n", " 3", "3 ", "3\xa0", "3\x0b", "3;a\x00b", "+3", "0x3"];

for (const line of CHUNK_SIZE_LINES) {
  Deno.test(`a chunk-size line ${JSON.stringify(line)} is a protocol error, not size 3`, async () => {
    const got = await fetchThrough(
      `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${line}\r\nabc\r\n0\r\n\r\n`,
    );
    if (!("error" in got)) throw new Error(`Expected a protocol error, got status ${got.status}`);
    assertInstanceOf(got.error, UpstreamError);
    assertEquals((got.error as UpstreamError).kind, "protocol");
  });
}

Deno.test("chunk extensions after optional whitespace are still read", async () => {
  const got = await fetchThrough(
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3 ;a=b\r\nabc\r\n3;x\r\ndef\r\n0\r\n\r\n",
  );
  assertEquals(got, { status: 200 });
});

Deno.test("Content-Length with a trailing NBSP (0xa0) is a protocol error", () => {
  assertThrows(
    () => parseResponseHead("HTTP/1.1 200 OK\r\nContent-Length: 1\xa0"),
    UpstreamError,
    "Content-Length",
  );
});

Deno.test("Transfer-Encoding chunked with a trailing NBSP is not chunked: the body runs to close", () => {
  const head = parseResponseHead("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\xa0");
  assertEquals([head.chunked, head.untilClose, head.keepAlive], [false, true, false]);
  const tabbed = parseResponseHead("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip ,\tchunked");
  assertEquals(tabbed.chunked, true);
});

Deno.test("an HTTP/1.0 Connection value with keep-alive inside another word does not keep the connection", () => {
  const odd = parseResponseHead(
    "HTTP/1.0 200 OK\r\nConnection: ion: keep-alive\r\nContent-Length: 0",
  );
  assertEquals(odd.keepAlive, false);
  const listed = parseResponseHead(
    "HTTP/1.0 200 OK\r\nConnection: x-a, Keep-Alive\r\nContent-Length: 0",
  );
  assertEquals(listed.keepAlive, true);
  const closing = parseResponseHead("HTTP/1.1 200 OK\r\nConnection: x close\r\nContent-Length: 0");
  assertEquals(closing.keepAlive, false);
});

Deno.test("the fuzzer's finding for HTTP/1.0 'Connection:ion: keep-alive' replays clean (seed 4, case 2345)", async () => {
  const upstream = new FakeUpstream(new Prng(1));
  upstream.install();
  try {
    const failure = await upstreamCase(upstream, new Prng(0x51), {
      input: "HTTP/1.0 200 OK\r\nConnection:ion: keep-alive\r\nContent-Length: 3\r\n\r\nabc",
      method: "GET",
    });
    assertEquals(failure, undefined);
  } finally {
    upstream.uninstall();
  }
});
