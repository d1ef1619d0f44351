import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { backend } from "./_config.ts";
import { rawRequest, startProxy } from "./_proxy.ts";
import { serveLoopback } from "../_helpers/loopback_server.ts";

/**
 * A one-answer-per-request upstream on a raw socket: every request gets
 * `response` (the full bytes, head and body), keep-alive.
 */
function rawUpstream(response: string): { port: number } & AsyncDisposable {
  return serveLoopback(async (conn) => {
    const buf = new Uint8Array(65536);
    let seen = "";
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      seen += new TextDecoder().decode(buf.subarray(0, n));
      while (seen.includes("\r\n\r\n")) {
        seen = seen.slice(seen.indexOf("\r\n\r\n") + 4);
        await conn.write(new TextEncoder().encode(response));
      }
    }
  });
}

Deno.test("repeated upstream headers (two Set-Cookie) reach the client as separate lines, in order", async () => {
  await using up = rawUpstream(
    "HTTP/1.1 201 Created\r\nSet-Cookie: a=1\r\nX-Order: first\r\nSet-Cookie: b=2\r\n" +
      "Content-Type: text/plain\r\nContent-Length: 2\r\n\r\nok",
  );
  await using proxy = await startProxy([{ path: "/", backends: [backend("raw", [up.port])] }]);
  const res = await rawRequest(proxy.port, "GET / HTTP/1.1\r\nHost: a");
  assertEquals(res.status, 201);
  assertEquals(res.body, "ok");
  const lines = res.raw.slice(0, res.raw.indexOf("\r\n\r\n")).split("\r\n").map((l) =>
    l.toLowerCase()
  );
  assertEquals(lines.filter((l) => l.startsWith("set-cookie:")), [
    "set-cookie: a=1",
    "set-cookie: b=2",
  ]);
  assertEquals(res.headers.get("content-type"), "text/plain");
  assertEquals(res.headers.get("content-length"), "2");
  assertEquals(res.headers.get("x-order"), "first");
});

Deno.test("an upstream status a Response cannot carry (600) becomes a 502", async () => {
  await using up = rawUpstream("HTTP/1.1 600 Odd\r\nContent-Length: 0\r\n\r\n");
  await using proxy = await startProxy([{ path: "/", backends: [backend("raw", [up.port])] }]);
  const res = await rawRequest(proxy.port, "GET / HTTP/1.1\r\nHost: a");
  assertEquals(res.status, 502);
  assertStringIncludes(res.body, "failed: protocol");
  assert(proxy.upstreamErrors.some((e) => e.kind === "protocol"));
});
