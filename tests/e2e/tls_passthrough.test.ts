/**
 * TLS Passthrough through the real gateway process (files source): TLSRoutes
 * on a TLS listener send connections by SNI to TLS backends whose own
 * certificates the client verifies (the gateway holds no key for them, so it
 * cannot have terminated), weights interleave connections, a server name
 * without a route and a route whose only backend is missing close the
 * connection, a Terminate-mode TLS listener completes the handshake itself
 * and relays plaintext to a TCP backend, and the statuses say all of it.
 */
import { assertEquals, assertRejects } from "@std/assert";
import { connectTlsWithServerName } from "../../src/dataplane/tls_server.ts";
import { createTestCa, type TestCertificate } from "../_helpers/certs.ts";
import { freePorts, startGateway } from "../_helpers/gateway_process.ts";
import { gatewayClassYaml, serviceYaml, tlsSecretYaml, writeManifests } from "./_manifests.ts";
import { ask, greetingBackend, readSome, type RouteStatus, tlsRouteYaml } from "./_tls_routes.ts";
import { tlsBackend } from "../_helpers/tls_routes.ts";

function manifests(
  tlsPort: number,
  terminatePort: number,
  a: number,
  b: number,
  plain: number,
  cert: TestCertificate,
): string {
  return [
    gatewayClassYaml(),
    `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: e2e, namespace: default }
spec:
  gatewayClassName: serval
  listeners:
    - { name: tls, protocol: TLS, port: ${tlsPort}, hostname: "*.example.com", tls: { mode: Passthrough } }
    - name: terminate
      protocol: TLS
      port: ${terminatePort}
      tls: { mode: Terminate, certificateRefs: [{ name: terminate-cert }] }
`,
    tlsSecretYaml("terminate-cert", cert.certPem, cert.keyPem),
    serviceYaml("plain", plain),
    tlsRouteYaml("terminated", ["plain.example.com"], "[{ name: plain, port: 80 }]", "terminate"),
    serviceYaml("backend-a", a),
    serviceYaml("backend-b", b),
    tlsRouteYaml("single", ["a.example.com"], "[{ name: backend-a, port: 80 }]"),
    tlsRouteYaml(
      "weighted",
      ["weighted.example.com"],
      "[{ name: backend-a, port: 80, weight: 3 }, { name: backend-b, port: 80, weight: 1 }]",
    ),
    tlsRouteYaml("missing", ["missing.example.com"], "[{ name: nowhere, port: 80 }]"),
  ].join("---\n");
}

Deno.test("TLSRoute: SNI routes to TLS backends the client verifies, weights interleave, no route or a missing backend closes, Terminate relays plaintext", async () => {
  await using ca = await createTestCa();
  const names = ["a.example.com", "weighted.example.com"];
  const a = tlsBackend("a", await ca.issue(names));
  const b = tlsBackend("b", await ca.issue(names));
  const plain = greetingBackend();
  const terminateCert = await ca.issue(["plain.example.com"]);
  const [tlsPort, terminatePort] = freePorts(2);
  const dir = await Deno.makeTempDir({ prefix: "serval-passthrough-e2e-" });
  try {
    await writeManifests(dir, {
      "all.yaml": manifests(tlsPort, terminatePort, a.port, b.port, plain.port, terminateCert),
    });
    await using gw = await startGateway({ manifests: dir });

    assertEquals(await ask(tlsPort, ca, "a.example.com"), "a");
    const weighted: string[] = [];
    for (let i = 0; i < 4; i++) weighted.push(await ask(tlsPort, ca, "weighted.example.com"));
    assertEquals(weighted, ["a", "a", "b", "a"], "smooth weighted round-robin, 3:1");
    await assertRejects(() => ask(tlsPort, ca, "nothing.example.com"));
    await assertRejects(() => ask(tlsPort, ca, "missing.example.com"));

    // Terminate: the handshake is with the gateway's certificate; the backend speaks plain TCP.
    const terminated = await connectTlsWithServerName({
      hostname: "127.0.0.1",
      port: terminatePort,
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

    const config = await (await gw.admin("/config")).json();
    const statuses = config.statuses as RouteStatus[];
    const gateway = statuses.find((s) => s.kind === "Gateway" && s.name === "e2e")!;
    const listeners = gateway.status.listeners!.map((l) => ({
      name: l.name,
      kinds: l.supportedKinds.map((k) => k.kind),
      attached: l.attachedRoutes,
      accepted: l.conditions.find((c) => c.type === "Accepted")!.reason,
    }));
    assertEquals(listeners, [
      { name: "tls", kinds: ["TLSRoute"], attached: 3, accepted: "Accepted" },
      { name: "terminate", kinds: ["TLSRoute"], attached: 1, accepted: "Accepted" },
    ]);
    const resolvedRefs = (name: string) =>
      statuses.find((s) => s.kind === "TLSRoute" && s.name === name)!.status.parents![0]
        .conditions.find((c) => c.type === "ResolvedRefs")!.reason;
    assertEquals(resolvedRefs("single"), "ResolvedRefs");
    assertEquals(resolvedRefs("missing"), "BackendNotFound");
  } finally {
    await a.server.shutdown();
    await b.server.shutdown();
    await plain.close();
    await Deno.remove(dir, { recursive: true });
  }
});
