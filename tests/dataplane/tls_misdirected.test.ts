/**
 * 421 Misdirected Request decided by each connection's real SNI (Gateway API
 * `Listener.hostname`; the cases follow the conformance test
 * HTTPRouteHTTPSListenerDetectMisdirectedRequests), over real TLS with
 * verification on, each case on a fresh connection. Also: what the
 * `first-request` mode does instead, the ClientHello relay doing the same as
 * the default `node:tls` server, and the client address the backend sees.
 */
import { assert, assertEquals } from "@std/assert";
import { connectTlsWithServerName } from "../../src/dataplane/tls_server.ts";
import type { SniSource } from "../../src/dataplane/tls_port_types.ts";
import type { TestCa } from "../_helpers/certs.ts";
import { echoOf, type Harness, header, startHarness, type TestListener } from "./_tls_harness.ts";
import { curlHttps, httpOverTls } from "./tls_test_client.ts";

/** The conformance Gateway's listeners on one port. */
const conformanceListeners = async (ca: TestCa): Promise<TestListener[]> => [
  {
    name: "default",
    hostname: null,
    certificate: await ca.issue(["example.org", "unknown-example.org"]),
  },
  {
    name: "second",
    hostname: "second-example.org",
    certificate: await ca.issue(["second-example.org"]),
  },
  { name: "wild", hostname: "*.wildcard.org", certificate: await ca.issue(["*.wildcard.org"]) },
  {
    name: "fourth",
    hostname: "fourth-example.wildcard.org",
    certificate: await ca.issue(["fourth-example.wildcard.org"]),
  },
];

/** One request on a fresh HTTP/1.1 connection with the given SNI (certificate verified for it). */
async function firstRequest(h: Harness, serverName: string, host: string, path = "/") {
  const conn = await connectTlsWithServerName({
    hostname: "127.0.0.1",
    port: h.port,
    serverName,
    caCerts: [h.ca.certPem],
    alpnProtocols: ["http/1.1"],
  });
  try {
    const response = await httpOverTls(conn, { host, path });
    const listener = response.status === 200
      ? header(echoOf(response.body), "x-listener")
      : undefined;
    return { status: response.status, listener, conn };
  } catch (error) {
    conn.close();
    throw error;
  }
}

// [SNI, Host, status, listener that served it]. The conformance test expects
// 404 where no route of the SNI listener takes the host; here every listener
// routes every host, so those cases show which listener routed them instead.
const cases: Array<[string, string, number, string | undefined]> = [
  ["example.org", "example.org", 200, "default"],
  // A more specific listener owns the Host: the connection is not its.
  ["example.org", "second-example.org", 421, undefined],
  // No other listener takes the Host: routed on the SNI listener.
  ["example.org", "unknown-example.org", 200, "default"],
  ["second-example.org", "second-example.org", 200, "second"],
  // The SNI listener does not take the Host, another one does.
  ["second-example.org", "example.org", 421, undefined],
  ["second-example.org", "unknown-example.org", 421, undefined],
  ["third-example.wildcard.org", "third-example.wildcard.org", 200, "wild"],
  // Same listener, another name under its wildcard.
  ["third-example.wildcard.org", "fith-example.wildcard.org", 200, "wild"],
  // Exact listener beats the wildcard the connection was made for.
  ["third-example.wildcard.org", "fourth-example.wildcard.org", 421, undefined],
  ["third-example.wildcard.org", "second-example.org", 421, undefined],
  ["third-example.wildcard.org", "unknown-example.org", 421, undefined],
  ["fourth-example.wildcard.org", "fourth-example.wildcard.org", 200, "fourth"],
  ["fourth-example.wildcard.org", "fith-example.wildcard.org", 421, undefined],
  // An SNI no listener names selects the default listener.
  ["unknown-example.org", "example.org", 200, "default"],
  ["unknown-example.org", "unknown-example.org", 200, "default"],
];

async function judgedBySni(sniSource?: SniSource) {
  await using h = await startHarness(conformanceListeners, { sniSource });
  const seen: string[] = [];
  for (const [serverName, host] of cases) {
    const result = await firstRequest(h, serverName, host);
    result.conn.close();
    seen.push(`${serverName} ${host} ${result.status} ${result.listener}`);
  }
  assertEquals(seen, cases.map(([s, host, status, l]) => `${s} ${host} ${status} ${l}`));
}

Deno.test("the first request of a connection is judged by the connection's SNI: 421 when another listener owns its Host", () =>
  judgedBySni());

Deno.test("behind the ClientHello relay too, the first request is judged by the connection's SNI", () =>
  judgedBySni("client-hello"));

Deno.test("a connection keeps its SNI listener: after a 421 it still serves its own hosts", async () => {
  await using h = await startHarness(conformanceListeners);
  const first = await firstRequest(h, "third-example.wildcard.org", "fourth-example.wildcard.org");
  try {
    assertEquals(first.status, 421);
    const next = await httpOverTls(first.conn, { host: "third-example.wildcard.org", path: "/" });
    assertEquals([next.status, header(echoOf(next.body), "x-listener")], [200, "wild"]);
  } finally {
    first.conn.close();
  }
});

Deno.test("a coalesced HTTP/2 request for another listener's host gets 421", async () => {
  await using h = await startHarness(conformanceListeners);
  const result = await curlHttps({
    port: h.port,
    caFile: h.caFile,
    names: ["third-example.wildcard.org"],
    args: [
      "--http2",
      "-o",
      "/dev/null",
      "-w",
      "%{http_version} %{http_code} %{num_connects}\n",
      "https://third-example.wildcard.org:PORT/",
      "--next",
      "--cacert",
      h.caFile,
      "--http2",
      "-H",
      "Host: fourth-example.wildcard.org",
      "-o",
      "/dev/null",
      "-w",
      "%{http_version} %{http_code} %{num_connects}\n",
      "https://third-example.wildcard.org:PORT/",
    ],
  });
  assertEquals(result.stdout.trim().split("\n"), ["2 200 1", "2 421 0"], result.stderr);
});

Deno.test("in first-request mode a first request is routed by its Host whatever its SNI (the mode's known limit)", async () => {
  await using h = await startHarness(conformanceListeners, {
    sniSource: "first-request" satisfies SniSource,
  });
  const first = await firstRequest(h, "example.org", "second-example.org");
  try {
    assertEquals([first.status, first.listener], [200, "second"]);
    // The connection is now bound to that listener: coalescing is still caught.
    assertEquals((await httpOverTls(first.conn, { host: "example.org", path: "/" })).status, 421);
  } finally {
    first.conn.close();
  }
});

Deno.test("the backend sees the client's address, not a relay's", async () => {
  await using h = await startHarness(conformanceListeners);
  // 127.0.0.2 is loopback too, but not the address the relay dials from.
  const result = await curlHttps({
    port: h.port,
    caFile: h.caFile,
    names: ["second-example.org"],
    args: ["--interface", "127.0.0.2", "https://second-example.org:PORT/"],
  });
  assert(result.success, result.stderr);
  const record = echoOf(result.stdout);
  assertEquals(header(record, "x-forwarded-for"), "127.0.0.2");
  assertEquals(header(record, "x-listener"), "second");
});
