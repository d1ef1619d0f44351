/**
 * Which HTTPS ports go through the ClientHello relay: only those whose
 * listeners need a connection's SNI (several listeners, or client
 * certificates). A port whose listeners change is bound again the other way,
 * and its open connections keep being served.
 */
import { assert, assertEquals } from "@std/assert";
import { connectTlsWithServerName } from "../../src/dataplane/tls_server.ts";
import { clientCertificateDemand, sniSourceFor } from "../../src/dataplane/tls_sni_choice.ts";
import type { ListenerConfig } from "../../src/model/config.ts";
import type { TestCa } from "../_helpers/certs.ts";
import { echoOf, type Harness, header, startHarness, type TestListener } from "./_tls_harness.ts";
import { httpOverTls } from "./tls_test_client.ts";

function listener(
  name: string,
  clientValidation = false,
  mode: "AllowValidOnly" | "AllowInsecureFallback" = "AllowValidOnly",
): ListenerConfig {
  const id = `gateway/default/gw/listener/${name}`;
  return {
    id,
    ids: [id],
    hostname: null,
    port: 443,
    protocol: "HTTPS",
    tls: {
      certificateIds: [`secret/default/${name}`],
      ...(clientValidation ? { clientValidation: { caCertificates: [], mode } } : {}),
    },
    virtualHosts: [],
  } as ListenerConfig;
}

Deno.test("only a port that mixes listeners validating client certificates with others needs the ClientHello relay", () => {
  const port = (listeners: ListenerConfig[]) => ({
    port: 443,
    protocol: "HTTPS" as const,
    listeners,
  });
  assertEquals(sniSourceFor(port([listener("a")])), "first-request");
  assertEquals(sniSourceFor(port([listener("a"), listener("b")])), "handshake");
  assertEquals(sniSourceFor(port([listener("a", true)])), "client-handshake");
  assertEquals(sniSourceFor(port([listener("a", true), listener("b", true)])), "client-handshake");
  assertEquals(sniSourceFor(port([listener("a"), listener("b", true)])), "client-hello");
});

Deno.test("a port of validating listeners requires a certificate at the handshake only when every listener is AllowValidOnly", () => {
  const port = (listeners: ListenerConfig[]) => ({
    port: 443,
    protocol: "HTTPS" as const,
    listeners,
  });
  const strict = listener("a", true);
  const lenient = listener("b", true, "AllowInsecureFallback");
  assertEquals(clientCertificateDemand(port([strict])), "required");
  assertEquals(clientCertificateDemand(port([strict, listener("c", true)])), "required");
  assertEquals(clientCertificateDemand(port([lenient])), "requested");
  assertEquals(clientCertificateDemand(port([strict, lenient])), "requested");
  assertEquals(clientCertificateDemand(port([listener("a"), strict])), undefined);
  assertEquals(clientCertificateDemand(port([listener("a")])), undefined);
});

/** A first request on a fresh connection with SNI `serverName`; the connection stays open. */
async function open(h: Harness, serverName: string, host: string) {
  const conn = await connectTlsWithServerName({
    hostname: "127.0.0.1",
    port: h.port,
    serverName,
    caCerts: [h.ca.certPem],
    alpnProtocols: ["http/1.1"],
  });
  const response = await httpOverTls(conn, { host, path: "/" });
  const listener = response.status === 200
    ? header(echoOf(response.body), "x-listener")
    : undefined;
  return { conn, status: response.status, listener };
}

Deno.test("a port rebinds to learn SNIs when a second listener joins, and without them when it leaves; open connections keep working", async () => {
  let both: TestListener["certificate"] | undefined;
  const one = async (ca: TestCa): Promise<TestListener[]> => {
    both ??= await ca.issue(["a.example.org", "b.example.org"]);
    return [{ name: "default", hostname: null, certificate: both }];
  };
  await using h = await startHarness(one);
  const two = async (ca: TestCa): Promise<TestListener[]> => [
    ...await one(ca),
    { name: "second", hostname: "b.example.org", certificate: await ca.issue(["b.example.org"]) },
  ];
  const early = await open(h, "a.example.org", "b.example.org");
  try {
    assertEquals([early.status, early.listener], [200, "default"]);
    await h.apply(await two(h.ca));
    // Bound by its SNI (the handshake reported it): b's host belongs to another listener.
    const relayed = await open(h, "a.example.org", "b.example.org");
    relayed.conn.close();
    assertEquals(relayed.status, 421);
    // The connection from before the switch is still served.
    const again = await httpOverTls(early.conn, { host: "a.example.org", path: "/" });
    assertEquals(again.status, 200);
    await h.apply(await one(h.ca));
    const direct = await open(h, "a.example.org", "b.example.org");
    direct.conn.close();
    assertEquals([direct.status, direct.listener], [200, "default"]);
  } finally {
    early.conn.close();
  }
  const rebinds = h.logs.filter((line) => line.includes("HTTPS port rebound"));
  assertEquals(rebinds.length, 2, h.logs.join("\n"));
  assert(rebinds[0].includes("handshake") && rebinds[1].includes("first-request"));
});
