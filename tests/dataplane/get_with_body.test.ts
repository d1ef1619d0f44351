/**
 * A GET or HEAD with a body is refused (400), not forwarded without it:
 * Deno's HTTP engine reads such a body and drops it, so the backend would
 * act on another request than the client sent. Found by the request fuzzer
 * (a GET with `Content-Length: 1` reached the backend with no body).
 */
import { assertEquals, assertStringIncludes } from "@std/assert";
import { startRecordingBackend } from "../fuzz/_recording_backend.ts";
import { backend } from "./_config.ts";
import { rawRequest, startProxy } from "./_proxy.ts";

Deno.test("a GET or HEAD that declares a body is a 400, counted as get_with_body", async () => {
  await using recorder = startRecordingBackend();
  await using proxy = await startProxy([{ path: "/", backends: [backend("r", [recorder.port])] }]);
  const get = await rawRequest(
    proxy.port,
    "GET /search HTTP/1.1\r\nHost: a\r\nContent-Length: 13",
    '{"query":"x"}',
  );
  assertEquals(get.status, 400);
  assertStringIncludes(get.body, "a GET request with a body cannot be forwarded");
  const head = await rawRequest(
    proxy.port,
    "HEAD /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked",
    "3\r\nabc\r\n0\r\n\r\n",
  );
  assertEquals(head.status, 400);
  assertEquals(recorder.seen.length, 0);
  assertEquals(proxy.clientEvents, [
    "policy_rejected:get_with_body",
    "policy_rejected:get_with_body",
  ]);
});

Deno.test("a GET with Content-Length 0 and a DELETE with a body are forwarded as sent", async () => {
  await using recorder = startRecordingBackend();
  await using proxy = await startProxy([{ path: "/", backends: [backend("r", [recorder.port])] }]);
  assertEquals(
    (await rawRequest(proxy.port, "GET /a HTTP/1.1\r\nHost: a\r\nContent-Length: 0")).status,
    200,
  );
  assertEquals(
    (await rawRequest(proxy.port, "DELETE /b HTTP/1.1\r\nHost: a\r\nContent-Length: 3", "abc"))
      .status,
    200,
  );
  assertEquals(recorder.seen.map((r) => [r.method, r.body]), [["GET", ""], ["DELETE", "abc"]]);
});

Deno.test("after a refused GET body the same connection serves the next request (the body was framed and skipped)", async () => {
  await using recorder = startRecordingBackend();
  await using proxy = await startProxy([{ path: "/", backends: [backend("r", [recorder.port])] }]);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: proxy.port });
  const bytes = new TextEncoder().encode(
    "GET /a HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\nG" +
      "GET /next HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
  );
  await conn.write(bytes);
  let answer = "";
  const buf = new Uint8Array(4096);
  for (;;) {
    const n = await conn.read(buf).catch(() => null);
    if (n === null) break;
    answer += new TextDecoder().decode(buf.subarray(0, n));
  }
  conn.close();
  assertEquals(answer.match(/^HTTP\/1\.1 \d+/gm), ["HTTP/1.1 400", "HTTP/1.1 200"]);
  assertEquals(recorder.seen.map((r) => r.target), ["/next"]);
});
