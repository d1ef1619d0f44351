/**
 * The gateway process with `--http1-engine own` (our HTTP/1.1 server) over
 * raw TCP: the proxy path end to end, pipelining through a real backend,
 * smuggling and oversized heads refused before any backend sees them, and
 * stalled clients closed at the port's timeouts (measured by waiting for the
 * close, never by sleeping).
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { type EchoRecord, startEchoBackend } from "../_helpers/echo_backend.ts";
import { createTestCa } from "../_helpers/certs.ts";
import { freePorts, startGateway } from "../_helpers/gateway_process.ts";
import { metricValue } from "../_helpers/metric_value.ts";
import { curlHttps } from "../dataplane/tls_test_client.ts";
import { classAndGatewayYaml, httpsListener } from "../../scripts/manifests.ts";
import { prefixRule, routeYaml, serviceYaml, tlsSecretYaml, writeManifests } from "./_manifests.ts";

const TIMEOUT_MS = 400;
const HOST = "Host: a.example\r\n";

/** Writes `text`, reads until the gateway closes; the answer and how long it took. */
async function untilClose(port: number, text: string) {
  const started = performance.now();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  if (text !== "") await conn.write(new TextEncoder().encode(text));
  let answer = "";
  const buf = new Uint8Array(64 * 1024);
  for (;;) {
    const n = await conn.read(buf).catch(() => null);
    if (n === null) break;
    answer += new TextDecoder().decode(buf.subarray(0, n));
  }
  conn.close();
  return { answer, elapsedMs: performance.now() - started };
}

function statuses(text: string): number[] {
  return [...text.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]));
}

Deno.test("--http1-engine own: proxying, pipelining, hostile heads, HTTPS by ALPN", async (t) => {
  await using backend = startEchoBackend({ name: "a" });
  await using ca = await createTestCa();
  const cert = await ca.issue(["a.example"]);
  const dir = await Deno.makeTempDir({ prefix: "serval-h1-" });
  const [port, httpsPort] = freePorts(2);
  await writeManifests(dir, {
    "gateway.yaml": classAndGatewayYaml("e2e", [
      `{ name: http, protocol: HTTP, port: ${port} }`,
      httpsListener("https", httpsPort, "a-cert", "a.example"),
    ]),
    "secret.yaml": tlsSecretYaml("a-cert", cert.certPem, cert.keyPem),
    "services.yaml": serviceYaml("a", backend.port),
    "routes.yaml": routeYaml("a", ["a.example"], prefixRule("/", "a")),
  });
  await using gw = await startGateway({
    manifests: dir,
    // The port's default client timeouts: a short one would close a client
    // the test process was slow to feed on a loaded machine (curl's TLS
    // handshake and first request can take longer than 400 ms there).
    args: ["--http1-engine", "own"],
  });

  await t.step(
    "pipelined GET, chunked POST and Content-Length POST answered in order",
    async () => {
      const { answer } = await untilClose(
        port,
        `GET /one HTTP/1.1\r\n${HOST}\r\n` +
          `POST /two HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n` +
          `POST /three HTTP/1.1\r\n${HOST}Content-Length: 2\r\nConnection: close\r\n\r\nxy`,
      );
      assertEquals(statuses(answer), [200, 200, 200]);
      const records = answer.split(/HTTP\/1\.1 200 OK/).slice(1).map((part) =>
        JSON.parse(part.slice(part.indexOf("{"), part.lastIndexOf("}") + 1)) as EchoRecord
      );
      assertEquals(records.map((r) => [r.target, r.body]), [["/one", ""], ["/two", "abc"], [
        "/three",
        "xy",
      ]]);
    },
  );

  await t.step("smuggling and malformed heads are refused before the backend", async () => {
    const before = backend.requests();
    const attacks = [
      `POST / HTTP/1.1\r\n${HOST}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
      `POST / HTTP/1.1\r\n${HOST}Content-Length: 4\r\nContent-Length: 5\r\n\r\nabcd`,
      `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\nzz\r\n`,
      `GET / HTTP/1.1\r\n${HOST}X: a\r\n b\r\n\r\n`,
      `GET / HTTP/1.1\r\n${HOST}Host: b.example\r\n\r\n`,
      `GET / HTTP/1.1\r\n${HOST}X: ${"v".repeat(40_000)}\r\n\r\n`,
    ];
    const expected = [400, 400, 400, 400, 400, 431];
    for (const [i, attack] of attacks.entries()) {
      const { answer } = await untilClose(port, attack + `GET /behind HTTP/1.1\r\n${HOST}\r\n`);
      assertEquals(statuses(answer), [expected[i]], attack.slice(0, 80));
    }
    // No Host: the handler's 400 (counted by the policy), and the connection goes on.
    const { answer } = await untilClose(
      port,
      `GET / HTTP/1.1\r\n\r\nGET /behind HTTP/1.1\r\n${HOST}Connection: close\r\n\r\n`,
    );
    assertEquals(statuses(answer), [400, 200]);
    // The bad chunk's POST may reach the backend before its framing breaks, and /behind does.
    const reached = backend.requests() - before;
    assert(reached <= 2, `${reached} requests reached the backend`);
  });

  await t.step("Expect: 100-continue gets its 100 before the body is sent", async () => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    const send = (s: string) => conn.write(new TextEncoder().encode(s));
    await send(`POST /up HTTP/1.1\r\n${HOST}Expect: 100-continue\r\nContent-Length: 3\r\n\r\n`);
    const buf = new Uint8Array(4096);
    const n = await conn.read(buf);
    assertEquals(new TextDecoder().decode(buf.subarray(0, n!)), "HTTP/1.1 100 Continue\r\n\r\n");
    await send("abc");
    let rest = "";
    while (!rest.includes('"abc"')) {
      const m = await conn.read(buf);
      if (m === null) break;
      rest += new TextDecoder().decode(buf.subarray(0, m));
    }
    assertStringIncludes(rest, "HTTP/1.1 200");
    conn.close();
  });

  await t.step(
    "HTTPS: an http/1.1 connection is served by our server, h2 by the engine",
    async () => {
      const https = (args: string[]) =>
        curlHttps({ port: httpsPort, caFile: `${ca.dir}/ca.crt`, names: ["a.example"], args });
      const ok = await https(["--http1.1", "-d", "hi", "https://a.example:PORT/tls"]);
      assert(ok.success, ok.stderr);
      assertEquals((JSON.parse(ok.stdout) as EchoRecord).body, "hi");
      // Our head parser's own refusal (Deno's engine words its 400 otherwise).
      const bad = await https(["--http1.1", "-H", "X-Bad: a\u0001b", "https://a.example:PORT/"]);
      assertStringIncludes(bad.stdout, "Cannot accept header X-Bad: value has control characters");
      const h2 = await https(["--http2", "-w", "%{http_version}", "https://a.example:PORT/h2"]);
      assert(h2.stdout.endsWith("2"), h2.stdout);
    },
  );

  await t.step(
    "fast path: answers counted by status, a 404 from the gateway, the backend's fields as sent",
    async () => {
      const count = async (status: string) =>
        metricValue(await (await gw.admin("/metrics")).text(), "serval_http_requests_total", {
          method: "GET",
          code: status,
        }) ?? 0;
      const [ok, missing] = [await count("200"), await count("404")];
      const { answer } = await untilClose(
        port,
        `GET /counted HTTP/1.1\r\n${HOST}x-echo-header-x-sent: a\r\n\r\n` +
          `GET /counted HTTP/1.1\r\nHost: nowhere.example\r\nConnection: close\r\n\r\n`,
      );
      assertEquals(statuses(answer), [200, 404]);
      assertStringIncludes(answer, "\r\nx-sent: a\r\n");
      assertStringIncludes(answer, "No route for nowhere.example/counted");
      assertEquals([await count("200") - ok, await count("404") - missing], [1, 1]);
    },
  );

  await t.step("no error was logged", () => {
    assertEquals(gw.logRecords().filter((r) => r.level === "error"), []);
  });
  assertEquals((await gw.stop()).code, 0);
});

Deno.test("--http1-engine own: a silent connection and half a head are closed at the header timeout", async () => {
  const dir = await Deno.makeTempDir({ prefix: "serval-h1-timeout-" });
  const [port] = freePorts(1);
  await writeManifests(dir, {
    "gateway.yaml": classAndGatewayYaml("e2e", [`{ name: http, protocol: HTTP, port: ${port} }`]),
  });
  await using gw = await startGateway({
    manifests: dir,
    args: [
      "--http1-engine",
      "own",
      "--client-header-timeout",
      `${TIMEOUT_MS}ms`,
      "--client-idle-timeout",
      `${TIMEOUT_MS}ms`,
    ],
  });
  for (const text of ["", `GET / HTTP/1.1\r\n${HOST}`]) {
    const { answer, elapsedMs } = await untilClose(port, text);
    assertEquals(answer, "");
    assert(elapsedMs >= TIMEOUT_MS, `closed after ${elapsedMs} ms`);
  }
  const metrics = await (await gw.admin("/metrics")).text();
  assertEquals(metricValue(metrics, "serval_client_timeouts_total", { kind: "header" }), 2);
  assertEquals((await gw.stop()).code, 0);
});
