/**
 * Fails loudly when the Deno internals `tls_server.ts` relies on change: the
 * pinned version, the SNI resolver symbol of `Deno.listenTls`, its per-name
 * caching, `serveHttpOnConnection` serving HTTP/1.1 and h2 on an accepted
 * connection, and accepted connections outliving their listener.
 */
import { assertEquals, assertRejects } from "@std/assert";
import {
  assertTlsInternals,
  connectTlsWithServerName,
  listenTlsWithSni,
  PINNED_DENO_VERSION,
  serveTlsConnection,
} from "../../src/dataplane/tls_server.ts";
import { createTestCa } from "../_helpers/certs.ts";
import { httpOverTls } from "./tls_test_client.ts";

Deno.test("Deno is the pinned version whose TLS internals tls_server.ts was written for", () => {
  assertEquals(Deno.version.deno, PINNED_DENO_VERSION);
});

Deno.test("the TLS internals have the shapes tls_server.ts needs", () => {
  assertTlsInternals();
});

Deno.test("the SNI resolver is asked once per server name and listener, and an unknown name fails the handshake", async () => {
  await using ca = await createTestCa();
  const a = await ca.issue(["a.example.com"]);
  const b = await ca.issue(["b.example.com"]);
  const asked: string[] = [];
  const listener = listenTlsWithSni({
    hostname: "127.0.0.1",
    port: 0,
    reusePort: false,
    resolve(name) {
      asked.push(name);
      if (name === "a.example.com") return { cert: a.certPem, key: a.keyPem };
      if (name === "b.example.com") return { cert: b.certPem, key: b.keyPem };
      return undefined;
    },
  });
  const port = (listener.addr as Deno.NetAddr).port;
  const accepted = (async () => {
    for await (const conn of listener) {
      // Server-side handshake info holds no server name: why the SNI is read
      // from the ClientHello by a relay. If this fails, Deno may now expose it.
      conn.handshake().then((info) => {
        assertEquals(Object.keys(info).sort(), ["alpnProtocol"]);
      }, () => {}).finally(() => conn.close());
    }
  })();
  for (const name of ["a.example.com", "b.example.com", "a.example.com"]) {
    const conn = await connectTlsWithServerName({
      hostname: "127.0.0.1",
      port,
      serverName: name,
      caCerts: [ca.certPem],
    });
    await conn.handshake(); // verifies the certificate against `name`
    conn.close();
  }
  const unknown = await connectTlsWithServerName({
    hostname: "127.0.0.1",
    port,
    serverName: "c.example.com",
    caCerts: [ca.certPem],
  });
  await assertRejects(() => unknown.handshake());
  unknown.close();
  listener.close();
  await accepted;
  // The second a.example.com handshake was answered from Deno's cache.
  assertEquals(asked, ["a.example.com", "b.example.com", "c.example.com"]);
});

Deno.test("serveHttpOnConnection serves h2 and HTTP/1.1, and a connection outlives its closed listener", async () => {
  await using ca = await createTestCa();
  const a = await ca.issue(["a.example.com"]);
  const listener = listenTlsWithSni({
    hostname: "127.0.0.1",
    port: 0,
    reusePort: false,
    resolve: () => ({ cert: a.certPem, key: a.keyPem }),
  });
  const port = (listener.addr as Deno.NetAddr).port;
  const finished: Promise<void>[] = [];
  const accepting = (async () => {
    for await (const conn of listener) {
      const served = serveTlsConnection(
        conn,
        (request) => new Response(`${request.method} ${new URL(request.url).pathname}`),
        () => new Response("error", { status: 500 }),
      );
      assertEquals(typeof served.shutdown, "function");
      finished.push(served.finished.catch(() => {}));
    }
  })();

  const h2 = await curl(ca.dir, port, ["--http2", "https://a.example.com:PORT/h2"]);
  assertEquals(h2, { version: "2", body: "GET /h2" });

  const conn = await connectTlsWithServerName({
    hostname: "127.0.0.1",
    port,
    serverName: "a.example.com",
    caCerts: [ca.certPem],
    alpnProtocols: ["http/1.1"],
  });
  const first = await httpOverTls(conn, { host: "a.example.com", path: "/one" });
  assertEquals([first.status, first.body], [200, "GET /one"]);
  listener.close();
  await accepting;
  const second = await httpOverTls(conn, { host: "a.example.com", path: "/two" });
  assertEquals([second.status, second.body], [200, "GET /two"]);
  conn.close();
  await Promise.all(finished);
  assertEquals(finished.length, 2);
});

async function curl(
  caDir: string,
  port: number,
  args: string[],
): Promise<{ version: string; body: string }> {
  const output = await new Deno.Command("curl", {
    args: [
      "-sS",
      "--cacert",
      `${caDir}/ca.crt`,
      "--resolve",
      `a.example.com:${port}:127.0.0.1`,
      "-w",
      "\n%{http_version}",
      ...args.map((arg) => arg.replace("PORT", String(port))),
    ],
  }).output();
  const text = new TextDecoder().decode(output.stdout);
  const cut = text.lastIndexOf("\n");
  return { body: text.slice(0, cut), version: text.slice(cut + 1) };
}

Deno.test("SO_REUSEPORT is reported unavailable without --unstable-net instead of exiting the process", async () => {
  const script = `import { reusePortAvailable } from ${
    JSON.stringify(new URL("../../src/dataplane/tls_server.ts", import.meta.url).href)
  }; console.log(reusePortAvailable());`;
  for (const [flags, expected] of [[[], "false"], [["--unstable-net"], "true"]] as const) {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["eval", ...flags, script],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(
      [output.code, new TextDecoder().decode(output.stdout).trim()],
      [0, expected],
      new TextDecoder().decode(output.stderr),
    );
  }
});
