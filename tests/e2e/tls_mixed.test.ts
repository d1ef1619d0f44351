/**
 * TLSRoute mixed modes through the real gateway process (files source): one
 * port with a Terminate listener and a Passthrough listener. Each
 * connection's SNI picks its listener: the Terminate listener's name gets the
 * gateway's certificate and its plaintext goes to a TCP backend; names under
 * the Passthrough listener reach TLS backends whose own certificates the
 * client verifies; a name no listener or route takes is closed.
 */
import { assertEquals, assertRejects } from "@std/assert";
import { connectTlsWithServerName } from "../../src/dataplane/tls_server.ts";
import { createTestCa, type TestCertificate } from "../_helpers/certs.ts";
import { freePorts, startGateway } from "../_helpers/gateway_process.ts";
import { gatewayClassYaml, serviceYaml, tlsSecretYaml, writeManifests } from "./_manifests.ts";
import { ask, greetingBackend, readSome, type RouteStatus, tlsRouteYaml } from "./_tls_routes.ts";
import { tlsBackend } from "../_helpers/tls_routes.ts";

function manifests(port: number, passed: number, plain: number, cert: TestCertificate): string {
  return [
    gatewayClassYaml(),
    `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: e2e, namespace: default }
spec:
  gatewayClassName: serval
  listeners:
    - { name: tls, protocol: TLS, port: ${port}, hostname: "*.example.com", tls: { mode: Passthrough } }
    - name: terminate
      protocol: TLS
      port: ${port}
      hostname: plain.example.com
      tls: { mode: Terminate, certificateRefs: [{ name: terminate-cert }] }
`,
    tlsSecretYaml("terminate-cert", cert.certPem, cert.keyPem),
    serviceYaml("plain", plain),
    serviceYaml("passed", passed),
    tlsRouteYaml("terminated", ["plain.example.com"], "[{ name: plain, port: 80 }]", "terminate"),
    tlsRouteYaml("passed", ["a.example.com"], "[{ name: passed, port: 80 }]"),
  ].join("---\n");
}

Deno.test("TLSRoute mixed modes: one port terminates the Terminate listener's name and passes the Passthrough listener's names through", async () => {
  await using ca = await createTestCa();
  // The backend's certificate is the only one valid for a.example.com, and
  // the gateway's only one for plain.example.com: each handshake proves who
  // completed it.
  const passed = tlsBackend("passed", await ca.issue(["a.example.com"]));
  const plain = greetingBackend();
  const terminateCert = await ca.issue(["plain.example.com"]);
  const [port] = freePorts(1);
  const dir = await Deno.makeTempDir({ prefix: "serval-tls-mixed-e2e-" });
  try {
    await writeManifests(dir, {
      "all.yaml": manifests(port, passed.port, plain.port, terminateCert),
    });
    await using gw = await startGateway({ manifests: dir });

    assertEquals(await ask(port, ca, "a.example.com"), "passed");

    // plain.example.com also matches *.example.com; the more specific listener takes it.
    const terminated = await connectTlsWithServerName({
      hostname: "127.0.0.1",
      port,
      serverName: "plain.example.com",
      caCerts: [ca.certPem],
    });
    try {
      assertEquals(await readSome(terminated), "welcome\n");
      await terminated.write(new TextEncoder().encode("ping\n"));
      assertEquals(await readSome(terminated), "ping\n");
    } finally {
      terminated.close();
    }

    // Passed through again after a terminated connection: the port keeps both.
    assertEquals(await ask(port, ca, "a.example.com"), "passed");
    // Under the Passthrough listener without a route, and under no listener.
    await assertRejects(() => ask(port, ca, "b.example.com"));
    await assertRejects(() => ask(port, ca, "plain.example.org"));

    const config = await (await gw.admin("/config")).json();
    const gateway = (config.statuses as RouteStatus[]).find((s) =>
      s.kind === "Gateway" && s.name === "e2e"
    )!;
    const listeners = gateway.status.listeners!.map((l) => ({
      name: l.name,
      attached: l.attachedRoutes,
      accepted: l.conditions.find((c) => c.type === "Accepted")!.reason,
      conflicted: l.conditions.find((c) => c.type === "Conflicted")!.status,
    }));
    assertEquals(listeners, [
      { name: "tls", attached: 1, accepted: "Accepted", conflicted: "False" },
      { name: "terminate", attached: 1, accepted: "Accepted", conflicted: "False" },
    ]);
  } finally {
    await passed.server.shutdown();
    await plain.close();
    await Deno.remove(dir, { recursive: true });
  }
});
