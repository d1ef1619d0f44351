/**
 * BackendTLSPolicy through the real gateway process (files source): TLS to a
 * backend with the policy's hostname as SNI and a ConfigMap CA; a hostname
 * or CA the backend's certificate does not satisfy fails with 502 (the
 * upstream BackendTLSPolicy cases); subjectAltNames replace the hostname
 * check (BackendTLSPolicySANValidation); a missing CA fails every request;
 * and a CA edited in its ConfigMap is picked up by the next connection.
 */
import { assertEquals, assertStringIncludes } from "@std/assert";
import { createTestCa } from "../_helpers/certs.ts";
import { freePort, startGateway } from "../_helpers/gateway_process.ts";
import { waitFor } from "../_helpers/wait_for.ts";
import { client, gatewayYaml, routeYaml, serviceYaml, writeManifests } from "./_manifests.ts";

/** A TLS backend answering with its name and the SNI it was asked for. */
function startTlsBackend(name: string, cert: string, key: string) {
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    cert,
    key,
    onListen() {},
  }, (req) => new Response(JSON.stringify({ name, host: req.headers.get("host") })));
  return { port: server.addr.port, close: () => server.shutdown() };
}

function policyYaml(name: string, service: string, validation: string): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata: { name: ${name}, namespace: default }
spec:
  targetRefs: [{ group: "", kind: Service, name: ${service} }]
  validation:
${validation.replace(/^/gm, "    ").trimEnd()}
`;
}

function caMapYaml(name: string, pem: string): string {
  return `apiVersion: v1
kind: ConfigMap
metadata: { name: ${name}, namespace: default }
data:
  ca.crt: ${JSON.stringify(pem)}
`;
}

const CA_REF = (name: string) =>
  `caCertificateRefs: [{ group: "", kind: ConfigMap, name: ${name} }]`;

Deno.test("BackendTLSPolicy: TLS to backends through the gateway process", async (t) => {
  await using ca = await createTestCa("backend CA");
  await using otherCa = await createTestCa("another CA");
  const leaf = await ca.issue(["abc.example.com"], { commonName: "abc.example.com" });
  const spiffe = await ca.issue(["san.example.com"]);
  const backend = startTlsBackend("tls", leaf.certPem, leaf.keyPem);
  const sanBackend = startTlsBackend("san", spiffe.certPem, spiffe.keyPem);
  const dir = await Deno.makeTempDir({ prefix: "serval-e2e-btls-" });
  const port = freePort();
  const rules = ["good", "host-mismatch", "cert-mismatch", "san", "san-mismatch", "missing"]
    .map((svc) =>
      `- matches: [{ path: { type: PathPrefix, value: /${svc} } }]
  backendRefs: [{ name: ${svc}, port: 80 }]
`
    ).join("");
  const policies = (trusted: string) =>
    [
      policyYaml("good", "good", `hostname: abc.example.com\n${CA_REF(trusted)}`),
      policyYaml(
        "host-mismatch",
        "host-mismatch",
        `hostname: mismatch.example.com\n${CA_REF("ca")}`,
      ),
      policyYaml("cert-mismatch", "cert-mismatch", `hostname: abc.example.com\n${CA_REF("other")}`),
      policyYaml(
        "san",
        "san",
        `hostname: sni.example.com\n${
          CA_REF("ca")
        }\nsubjectAltNames: [{ type: Hostname, hostname: san.example.com }]`,
      ),
      policyYaml(
        "san-mismatch",
        "san-mismatch",
        `hostname: san.example.com\n${
          CA_REF("ca")
        }\nsubjectAltNames: [{ type: Hostname, hostname: nope.example.com }]`,
      ),
      policyYaml("missing", "missing", `hostname: abc.example.com\n${CA_REF("no-such-map")}`),
    ].join("---\n");
  await writeManifests(dir, {
    "gateway.yaml": gatewayYaml(port),
    "services.yaml": [
      serviceYaml("good", backend.port),
      serviceYaml("host-mismatch", backend.port),
      serviceYaml("cert-mismatch", backend.port),
      serviceYaml("san", sanBackend.port),
      serviceYaml("san-mismatch", sanBackend.port),
      serviceYaml("missing", backend.port),
    ].join("---\n"),
    "cas.yaml": [caMapYaml("ca", ca.certPem), caMapYaml("other", otherCa.certPem)].join("---\n"),
    "policies.yaml": policies("ca"),
    "route.yaml": routeYaml("tls", ["app.example.com"], rules),
  });
  await using gw = await startGateway({ manifests: dir });
  const get = async (path: string) => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, {
      client,
      headers: { host: "app.example.com" },
    });
    return { status: res.status, text: await res.text() };
  };
  try {
    await t.step("the policy's hostname is the SNI and the ConfigMap CA is trusted", async () => {
      const res = await get("/good");
      assertEquals(res.status, 200, res.text);
      assertEquals(JSON.parse(res.text), { name: "tls", host: "app.example.com" });
    });

    await t.step("a hostname the certificate does not carry fails with 502", async () => {
      const res = await get("/host-mismatch");
      assertEquals(res.status, 502);
    });

    await t.step("a certificate from a CA the policy does not name fails with 502", async () => {
      assertEquals((await get("/cert-mismatch")).status, 502);
    });

    await t.step("subjectAltNames replace the hostname check", async () => {
      const ok = await get("/san");
      assertEquals(ok.status, 200, ok.text);
      assertEquals(JSON.parse(ok.text).name, "san");
      assertEquals((await get("/san-mismatch")).status, 502);
    });

    await t.step("a policy whose CA cannot be found fails every request with 502", async () => {
      const res = await get("/missing");
      assertEquals(res.status, 502);
      assertStringIncludes(res.text, "Upstream service/default/missing:80 failed");
    });

    await t.step("pointing the policy at another CA is picked up", async () => {
      await writeManifests(dir, { "policies.yaml": policies("other") });
      await waitFor("new connections to trust only the other CA", async () => {
        return (await get("/good")).status === 502;
      });
      await writeManifests(dir, { "policies.yaml": policies("ca") });
      await waitFor("the backend CA to be trusted again", async () => {
        return (await get("/good")).status === 200;
      });
    });
  } finally {
    await backend.close();
    await sanBackend.close();
    await gw.stop();
  }
});
