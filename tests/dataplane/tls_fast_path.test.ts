/**
 * HTTPS ports served by our HTTP/1.1 server (`--http1-engine own`) hand
 * their requests to the handler's fast path (`fields`) behind the same gate
 * as the `Request` path: 421 by the connection's SNI or first Host, the
 * client's address behind the ClientHello relay, and the `Request` path for
 * whatever the fast path declines. Over real TLS with verification on; the
 * handlers answer themselves (no backend), saying which path served.
 */
import { assert, assertEquals } from "@std/assert";
import { connectTlsWithServerName } from "../../src/dataplane/tls_server.ts";
import { serveTlsPort } from "../../src/dataplane/tls_port_server.ts";
import type { SniSource, TlsPortServerOptions } from "../../src/dataplane/tls_port_types.ts";
import { sniCertificatesFor } from "../../src/dataplane/sni.ts";
import type { FieldsHandler } from "../../src/dataplane/field_headers.ts";
import { compileRouteTable } from "../../src/router/compile_route_table.ts";
import { sharedTestCa, type TestCa } from "../_helpers/certs.ts";
import { freePort } from "../_helpers/gateway_process.ts";
import { httpOverTls } from "./tls_test_client.ts";
import { httpsConfig, type TestListener } from "./_tls_harness.ts";
import { errorCodeOf, RawH2Client, requestFields } from "../_helpers/h2_raw_client.ts";
import { ErrorCode, FrameType } from "../../src/dataplane/h2/h2_frames.ts";
import { UpgradeLimits } from "../../src/dataplane/upgrade_wire.ts";

const twoListeners = async (ca: TestCa): Promise<TestListener[]> => [
  { name: "a", hostname: "a.example", certificate: await ca.issue(["a.example"]) },
  { name: "b", hostname: "b.example", certificate: await ca.issue(["b.example"]) },
];

/** What each path saw: the path, the Host, and the client port the handler was told. */
interface Seen {
  path: "fast" | "request";
  url: string;
  clientPort: number;
}

async function startPort(
  sniSource: SniSource,
  options: {
    declineFast?: (url: string) => boolean;
    engine?: "own" | "deno";
    /** Every connection goes through the upgrade diversion first (`--upgrades on`). */
    upgrades?: boolean;
  } = {},
) {
  const ca = await sharedTestCa();
  const port = freePort();
  const { config, certificates } = httpsConfig(port, 9, await twoListeners(ca));
  const table = compileRouteTable(config);
  const seen: Seen[] = [];
  const fields: FieldsHandler = (request, info) => {
    if (options.declineFast?.(request.url)) return undefined;
    seen.push({ path: "fast", url: request.url, clientPort: info.remoteAddr.port });
    return new Response("fast");
  };
  const serverOptions: TlsPortServerOptions = {
    hostname: "127.0.0.1",
    port,
    certificates: sniCertificatesFor(config.ports[0], certificates),
    getTable: () => table,
    handler: (request, info) => {
      seen.push({ path: "request", url: request.url, clientPort: info.remoteAddr.port });
      return new Response("request");
    },
    fields,
    sniSource,
    http1Engine: options.engine,
    upgrades: options.upgrades
      ? {
        mode: "on",
        getTable: () => table,
        limits: new UpgradeLimits(10, 0),
        headerTimeoutMs: 10_000,
      }
      : undefined,
  };
  const server = serveTlsPort(serverOptions);
  return {
    seen,
    connect: (serverName: string, alpn = "http/1.1") =>
      connectTlsWithServerName({
        hostname: "127.0.0.1",
        port,
        serverName,
        caCerts: [ca.certPem],
        alpnProtocols: [alpn],
      }),
    async [Symbol.asyncDispose]() {
      await server.shutdown();
    },
  };
}

Deno.test("behind the relay, the fast path serves the SNI's listener with the client's address, and another listener's host gets 421", async () => {
  await using p = await startPort("client-hello", { engine: "own" });
  const conn = await p.connect("a.example");
  try {
    const clientPort = (conn.localAddr as Deno.NetAddr).port;
    const ok = await httpOverTls(conn, { host: "a.example", path: "/one" });
    assertEquals([ok.status, ok.body], [200, "fast"]);
    const other = await httpOverTls(conn, { host: "b.example", path: "/two" });
    assertEquals(other.status, 421);
    const again = await httpOverTls(conn, { host: "a.example", path: "/three" });
    assertEquals(again.body, "fast");
    assertEquals(p.seen, [
      { path: "fast", url: "https://a.example/one", clientPort },
      { path: "fast", url: "https://a.example/three", clientPort },
    ]);
  } finally {
    conn.close();
  }
});

Deno.test("without the relay, the first Host binds the connection on the fast path too", async () => {
  await using p = await startPort("first-request", { engine: "own" });
  const conn = await p.connect("a.example");
  try {
    assertEquals((await httpOverTls(conn, { host: "b.example", path: "/" })).body, "fast");
    assertEquals((await httpOverTls(conn, { host: "a.example", path: "/" })).status, 421);
    assertEquals(p.seen.map((s) => s.url), ["https://b.example/"]);
  } finally {
    conn.close();
  }
});

Deno.test("a request the fast path declines is gated once more and served by the Request path", async () => {
  await using p = await startPort("client-hello", {
    engine: "own",
    declineFast: (url) => url.endsWith("/slow"),
  });
  const conn = await p.connect("b.example");
  try {
    const clientPort = (conn.localAddr as Deno.NetAddr).port;
    assertEquals((await httpOverTls(conn, { host: "b.example", path: "/slow" })).body, "request");
    assertEquals((await httpOverTls(conn, { host: "b.example", path: "/fast" })).body, "fast");
    assertEquals((await httpOverTls(conn, { host: "a.example", path: "/slow" })).status, 421);
    assertEquals(p.seen, [
      { path: "request", url: "https://b.example/slow", clientPort },
      { path: "fast", url: "https://b.example/fast", clientPort },
    ]);
  } finally {
    conn.close();
  }
});

Deno.test("Deno's engine (--http1-engine deno) never calls the fast path", async () => {
  await using p = await startPort("client-hello", { engine: "deno" });
  const conn = await p.connect("a.example");
  try {
    const response = await httpOverTls(conn, { host: "a.example", path: "/" });
    assertEquals(response.body, "request");
    assert(p.seen.every((s) => s.path === "request"));
  } finally {
    conn.close();
  }
});

Deno.test("by default an http/1.1 connection on an HTTPS port takes our server's fast path", async () => {
  await using p = await startPort("client-hello");
  const conn = await p.connect("a.example");
  try {
    const response = await httpOverTls(conn, { host: "a.example", path: "/" });
    assertEquals(response.body, "fast");
    assertEquals(p.seen.map((s) => s.path), ["fast"]);
  } finally {
    conn.close();
  }
});

/** A GET on `client` for `authority` and `path`: its status and body. */
async function h2Get(client: RawH2Client, id: number, authority: string, path: string) {
  const fields = requestFields(path).map(([n, v]): [string, string] =>
    n === ":authority" ? [n, authority] : n === ":scheme" ? [n, "https"] : [n, v]
  );
  await client.send(client.headers(id, fields));
  const res = await client.response(id);
  return [res.status, await res.text()];
}

for (const upgrades of [false, true]) {
  const port = upgrades ? "a port that diverts upgrades" : "a port";
  Deno.test(`h2 on ${port}: our HTTP/2 server takes the fast path behind the same gate`, async () => {
    await using p = await startPort("client-hello", {
      upgrades,
      declineFast: (url) => url.endsWith("/slow"),
    });
    const conn = await p.connect("a.example", "h2");
    const client = await RawH2Client.over(conn);
    try {
      const clientPort = (conn.localAddr as Deno.NetAddr).port;
      assertEquals(await h2Get(client, 1, "a.example", "/one"), [200, "fast"]);
      assertEquals((await h2Get(client, 3, "b.example", "/two"))[0], 421);
      assertEquals(await h2Get(client, 5, "a.example", "/slow"), [200, "request"]);
      assertEquals(p.seen, [
        { path: "fast", url: "https://a.example/one", clientPort },
        { path: "request", url: "https://a.example/slow", clientPort },
      ]);
    } finally {
      client.close();
    }
  });
}

Deno.test("h2 with a Host field naming another listener than its :authority: reset by our HTTP/2 server, 421 through Deno's engine", async () => {
  for (const engine of ["own", "deno"] as const) {
    await using p = await startPort("client-hello", { engine });
    const client = await RawH2Client.over(await p.connect("a.example", "h2"));
    try {
      const fields = requestFields("/x").map(([n, v]): [string, string] =>
        n === ":authority" ? [n, "a.example"] : n === ":scheme" ? [n, "https"] : [n, v]
      );
      fields.push(["host", "b.example"]);
      if (engine === "own") {
        const reset = await client.answerTo(1, client.headers(1, fields));
        assertEquals([reset?.type, errorCodeOf(reset!)], [
          FrameType.RST_STREAM,
          ErrorCode.PROTOCOL_ERROR,
        ]);
      } else {
        await client.send(client.headers(1, fields));
        assertEquals((await client.response(1)).status, 421, engine);
      }
      assertEquals(p.seen, [], engine);
    } finally {
      client.close();
    }
  }
});
