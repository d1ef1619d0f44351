import { assert, assertEquals, assertGreater } from "@std/assert";
import { type EchoRecord, pattern, startEchoBackend } from "../_helpers/echo_backend.ts";
import { backend } from "./_config.ts";
import { rawRequest, startProxy } from "./_proxy.ts";
import { waitFor } from "../_helpers/wait_for.ts";

function header(record: EchoRecord, name: string): string | undefined {
  return record.headers.find(([k]) => k.toLowerCase() === name)?.[1];
}

Deno.test("the normalised path (the one routing matched) is forwarded, the query as sent", async () => {
  await using echo = startEchoBackend();
  await using proxy = await startProxy([{ path: "/", backends: [backend("echo", [echo.port])] }]);
  const res = await rawRequest(
    proxy.port,
    "GET /a/./b//c/%7Ex?q=%2F&r=a%20b HTTP/1.1\r\nHost: Example.COM:8080",
  );
  assertEquals(res.status, 200);
  const record: EchoRecord = JSON.parse(res.body);
  assertEquals(record.target, "/a/b/c/~x?q=%2F&r=a%20b");
  assertEquals(header(record, "host"), "Example.COM:8080");
});

Deno.test("X-Forwarded-For is the peer alone by default, X-Forwarded-Proto and -Host are set", async () => {
  await using echo = startEchoBackend();
  await using proxy = await startProxy([{ path: "/", backends: [backend("echo", [echo.port])] }]);
  const res = await rawRequest(
    proxy.port,
    "GET /x HTTP/1.1\r\nHost: a.example:81\r\nX-Forwarded-For: 10.1.1.1\r\nX-Forwarded-Proto: https",
  );
  const record: EchoRecord = JSON.parse(res.body);
  assertEquals(header(record, "x-forwarded-for"), "127.0.0.1");
  assertEquals(header(record, "x-forwarded-proto"), "http");
  assertEquals(header(record, "x-forwarded-host"), "a.example:81");
});

Deno.test("hop-by-hop headers are removed in both directions", async () => {
  await using echo = startEchoBackend();
  await using proxy = await startProxy([{ path: "/", backends: [backend("echo", [echo.port])] }]);
  const res = await rawRequest(
    proxy.port,
    [
      "GET /x HTTP/1.1",
      "Host: a",
      "Keep-Alive: timeout=5",
      "Proxy-Connection: keep-alive",
      "TE: trailers, deflate;q=0.5",
      "Trailer: x-t",
      "X-Secret: s",
      "X-Kept: k",
      // Response side: the backend is asked to send hop-by-hop headers back.
      "X-Echo-Header-Keep-Alive: timeout=9",
      "X-Echo-Header-Connection: x-private",
      "X-Echo-Header-X-Private: p",
      "X-Echo-Header-X-Public: q",
      "X-Echo-Header-Proxy-Connection: keep-alive",
    ].join("\r\n").replace("Host: a", "Host: a\r\nConnection: x-secret"),
  );
  const record: EchoRecord = JSON.parse(res.body);
  const sent = record.headers.map(([k]) => k.toLowerCase());
  for (const name of ["keep-alive", "proxy-connection", "trailer", "x-secret"]) {
    assert(!sent.includes(name), `${name} reached the backend`);
  }
  // The client's TE stays on its hop; this server sends it trailers, so the
  // backend is told so with our own TE and connection option (RFC 9110 §10.1.4).
  assertEquals(record.headers.filter(([k]) => /^(te|connection)$/i.test(k)), [
    ["te", "trailers"],
    ["connection", "te"],
  ]);
  assertEquals(header(record, "x-kept"), "k");
  assertEquals(res.headers.get("x-public"), "q");
  assertEquals(res.headers.has("x-private"), false);
  assertEquals(res.headers.has("keep-alive"), false);
  assertEquals(res.headers.has("proxy-connection"), false);
});

Deno.test("a client's TE that does not name trailers reaches the backend as nothing", async () => {
  await using echo = startEchoBackend();
  await using proxy = await startProxy([{ path: "/", backends: [backend("echo", [echo.port])] }]);
  const res = await rawRequest(
    proxy.port,
    "GET /x HTTP/1.1\r\nHost: a\r\nTE: deflate\r\nConnection: te",
  );
  const record: EchoRecord = JSON.parse(res.body);
  assertEquals(record.headers.filter(([k]) => /^(te|connection)$/i.test(k)), []);
});

Deno.test("a chunked request body reaches the backend chunked and intact", async () => {
  await using echo = startEchoBackend();
  await using proxy = await startProxy([{ path: "/", backends: [backend("echo", [echo.port])] }]);
  const res = await rawRequest(
    proxy.port,
    "POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked",
    "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
  );
  const record: EchoRecord = JSON.parse(res.body);
  assertEquals(record.body, "hello world");
  assertEquals(record.chunked, true);
  assertEquals(header(record, "content-length"), undefined);
});

Deno.test("a several-MB body survives both ways, with length and chunked framing", async () => {
  await using echo = startEchoBackend();
  await using proxy = await startProxy([{ path: "/", backends: [backend("echo", [echo.port])] }]);
  const data = pattern(5 * 1024 * 1024 + 17);
  // Content-Length up, chunked down.
  const a = await fetch(`${proxy.url}/raw`, {
    method: "POST",
    body: data,
    headers: { "x-echo-action": "raw", "x-echo-chunked": "1", "x-echo-chunk-size": "100000" },
  });
  assertEquals(a.status, 200);
  assertEquals(new Uint8Array(await a.arrayBuffer()), data);
  // Streamed (chunked) up, Content-Length down.
  const b = await fetch(`${proxy.url}/raw`, {
    method: "POST",
    body: ReadableStream.from((function* () {
      for (let i = 0; i < data.length; i += 300_000) yield data.subarray(i, i + 300_000);
    })()),
    headers: { "x-echo-action": "raw" },
  });
  assertEquals(b.status, 200);
  assertEquals(b.headers.get("content-length"), String(data.length));
  assertEquals(new Uint8Array(await b.arrayBuffer()), data);
});

Deno.test("a streamed response reaches the client chunk by chunk", async () => {
  await using echo = startEchoBackend();
  await using proxy = await startProxy([{ path: "/", backends: [backend("echo", [echo.port])] }]);
  const res = await fetch(`${proxy.url}/s`, {
    headers: { "x-echo-stream": "6", "x-echo-stream-hold": "1" },
  });
  const reader = res.body!.getReader();
  // The backend holds the other chunks until released: the first one arriving
  // now proves the proxy forwards as it receives, without buffering the body.
  const first = await reader.read();
  assertEquals(echo.held(), 1);
  echo.release();
  let text = new TextDecoder().decode(first.value);
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  assertEquals(text, [0, 1, 2, 3, 4, 5].map((i) => `chunk ${i}\n`).join(""));
});

Deno.test("keep-alive connections to the backend are reused", async () => {
  await using echo = startEchoBackend();
  await using proxy = await startProxy([{ path: "/", backends: [backend("echo", [echo.port])] }]);
  for (let i = 0; i < 20; i++) {
    const res = await fetch(`${proxy.url}/k${i}`);
    assertEquals(res.status, 200);
    await res.body?.cancel();
  }
  assertEquals(echo.connections(), 1);
  assertEquals(echo.requests(), 20);
});

Deno.test("an upstream that closes idle connections costs a new connection, never an error", async () => {
  await using echo = startEchoBackend({ idleCloseMs: 50 });
  await using proxy = await startProxy([{ path: "/", backends: [backend("echo", [echo.port])] }]);
  for (let i = 0; i < 3; i++) {
    const res = await fetch(`${proxy.url}/idle`);
    assertEquals(res.status, 200);
    await res.text();
    await waitFor(
      "the backend closing the idle connection",
      () => echo.closedConnections() === i + 1,
    );
    await waitFor("the proxy dropping it from its pool", () => proxy.client.stats().idle === 0);
  }
  assertEquals(echo.connections(), 3);
  assertEquals(proxy.upstreamErrors, []);
  assertEquals(proxy.client.stats().idle, 0);
});

Deno.test("HEAD, 204 and 304 answers carry no body and keep the connection usable", async () => {
  await using echo = startEchoBackend();
  await using proxy = await startProxy([{ path: "/", backends: [backend("echo", [echo.port])] }]);
  const head = await fetch(`${proxy.url}/h`, { method: "HEAD" });
  assertEquals(head.status, 200);
  assertGreater(Number(head.headers.get("content-length")), 0);
  assertEquals(await head.text(), "");
  for (const status of ["204", "304"]) {
    const res = await fetch(`${proxy.url}/s`, { headers: { "x-echo-status": status } });
    assertEquals(res.status, Number(status));
    assertEquals(await res.text(), "");
  }
  const after = await fetch(`${proxy.url}/after`);
  assertEquals((await after.json()).target, "/after");
  assertEquals(echo.connections(), 1);
});

Deno.test("upstream failures map to 502 and 504 with a short body", async () => {
  await using echo = startEchoBackend();
  const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const deadPort = (closed.addr as Deno.NetAddr).port;
  closed.close();
  await using proxy = await startProxy([
    { path: "/dead", backends: [backend("dead", [deadPort])] },
    { path: "/slow", backends: [backend("echo", [echo.port])], timeouts: { request: 200 } },
    { path: "/", backends: [backend("echo", [echo.port])] },
  ]);
  const cases: [string, Record<string, string>, number][] = [
    ["/dead", {}, 502],
    ["/x", { "x-echo-action": "close" }, 502],
    ["/x", { "x-echo-action": "garbage" }, 502],
    ["/slow", { "x-echo-delay": "1000" }, 504],
  ];
  for (const [path, headers, status] of cases) {
    const res = await fetch(`${proxy.url}${path}`, { headers });
    assertEquals(res.status, status, `${path} ${JSON.stringify(headers)}`);
    assert((await res.text()).length < 200);
  }
  assertEquals(proxy.upstreamErrors.map((e) => e.kind), [
    "connect",
    "reset",
    "protocol",
    "timeout",
  ]);
  // The gateway still serves normally afterwards.
  assertEquals((await fetch(`${proxy.url}/ok`)).status, 200);
});

Deno.test("a small response body cut short by the upstream becomes a 502", async () => {
  await using echo = startEchoBackend();
  await using proxy = await startProxy([{ path: "/", backends: [backend("echo", [echo.port])] }]);
  // Bodies up to 64 KiB are read before answering, so the failure is still visible as a status.
  const res = await rawRequest(proxy.port, "GET /t HTTP/1.1\r\nHost: a\r\nX-Echo-Action: truncate");
  assertEquals(res.status, 502);
  assertEquals(proxy.upstreamErrors.map((e) => e.kind), ["reset"]);
});

Deno.test("weights 3:1 split 200 requests 150/50", async () => {
  await using a = startEchoBackend({ name: "a" });
  await using b = startEchoBackend({ name: "b" });
  await using proxy = await startProxy([{
    path: "/",
    backends: [backend("a", [a.port], 3), backend("b", [b.port], 1)],
  }]);
  const seen: Record<string, number> = {};
  for (let i = 0; i < 200; i++) {
    const record: EchoRecord = await (await fetch(`${proxy.url}/w`)).json();
    seen[record.name] = (seen[record.name] ?? 0) + 1;
  }
  assertEquals(seen, { a: 150, b: 50 });
});

Deno.test("URLRewrite replaces the prefix and the Host header; header modifiers apply both ways", async () => {
  await using echo = startEchoBackend();
  await using proxy = await startProxy([{
    path: "/prefix",
    filters: [
      {
        type: "URLRewrite",
        hostname: "rewritten.example",
        path: { type: "ReplacePrefixMatch", value: "/" },
      },
      {
        type: "RequestHeaderModifier",
        modifier: {
          set: [{ name: "X-Set", value: "s" }],
          add: [{ name: "X-Add", value: "b" }],
          remove: ["X-Gone"],
        },
      },
      {
        type: "ResponseHeaderModifier",
        modifier: { set: [{ name: "X-Resp", value: "r" }], add: [], remove: ["Content-Type"] },
      },
    ],
    backends: [backend("echo", [echo.port])],
  }]);
  const res = await fetch(`${proxy.url}/prefix/one/two?x=1`, {
    headers: { "x-add": "a", "x-gone": "g" },
  });
  const record: EchoRecord = await res.json();
  assertEquals(record.target, "/one/two?x=1");
  assertEquals(header(record, "host"), "rewritten.example");
  assertEquals(header(record, "x-add"), "a,b");
  assertEquals(header(record, "x-set"), "s");
  assertEquals(header(record, "x-gone"), undefined);
  assertEquals(header(record, "x-forwarded-host"), `127.0.0.1:${proxy.port}`);
  assertEquals(res.headers.get("x-resp"), "r");
  assertEquals(res.headers.get("content-type"), null);
});

Deno.test("RequestRedirect answers with an absolute Location and never calls a backend", async () => {
  await using echo = startEchoBackend();
  await using proxy = await startProxy([{
    path: "/old",
    filters: [{
      type: "RequestRedirect",
      scheme: "https",
      path: { type: "ReplacePrefixMatch", value: "/new" },
      statusCode: 301,
    }],
  }]);
  const res = await rawRequest(proxy.port, "GET /old/page?q=1 HTTP/1.1\r\nHost: shop.example:8080");
  assertEquals(res.status, 301);
  assertEquals(res.headers.get("location"), "https://shop.example/new/page?q=1");
  assertEquals(echo.requests(), 0);
});

Deno.test("routing errors: 404 without route, 400 on a bad path or host, 500 without backend, 503 without endpoint", async () => {
  await using proxy = await startProxy([
    { path: "/none" },
    { path: "/invalid", invalidWeight: 1 },
    { path: "/empty", backends: [backend("empty", [])] },
    { path: "/only", pathType: "Exact" },
  ]);
  assertEquals((await rawRequest(proxy.port, "GET /nothing-here HTTP/1.1\r\nHost: a")).status, 404);
  assertEquals((await rawRequest(proxy.port, "GET /none/%zz HTTP/1.1\r\nHost: a")).status, 400);
  assertEquals((await rawRequest(proxy.port, "GET /none HTTP/1.1\r\nHost: user@a")).status, 400);
  assertEquals((await rawRequest(proxy.port, "GET /none HTTP/1.1\r\nHost: a")).status, 500);
  assertEquals((await rawRequest(proxy.port, "GET /invalid HTTP/1.1\r\nHost: a")).status, 500);
  const empty = await rawRequest(proxy.port, "GET /empty HTTP/1.1\r\nHost: a");
  assertEquals(empty.status, 503);
  assertEquals(proxy.upstreamErrors, [{
    backend: "service/default/empty:80",
    kind: "no_endpoints",
  }]);
  assertEquals(proxy.statuses, [404, 400, 400, 500, 500, 503]);
});

Deno.test("a rewritten path keeps the query string as sent, an empty one included", async () => {
  await using echo = startEchoBackend();
  await using proxy = await startProxy([{
    path: "/prefix",
    filters: [{ type: "URLRewrite", path: { type: "ReplacePrefixMatch", value: "/one" } }],
    backends: [backend("echo", [echo.port])],
  }]);
  for (
    const [sent, expected] of [
      ["/prefix/x?", "/one/x?"],
      ["/prefix/x?a=%2F&b", "/one/x?a=%2F&b"],
      ["/prefix/x", "/one/x"],
    ]
  ) {
    const res = await rawRequest(proxy.port, `GET ${sent} HTTP/1.1\r\nHost: example.com`);
    assertEquals(res.status, 200);
    assertEquals((JSON.parse(res.body) as EchoRecord).target, expected, sent);
  }
});
