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
import {
  client,
  gatewayYaml,
  routeYaml,
  serviceYaml,
  tlsSecretYaml,
  writeManifests,
} from "./_manifests.ts";

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

/**
 * `openssl s_server` requiring a client certificate from `ca` (`-Verify 1`):
 * a handshake without one fails, and `-www` answers `GET /` with a status
 * page naming the client certificate's subject.
 */
async function startMtlsBackend(dir: string, cert: string, key: string, caPem: string) {
  await Deno.writeTextFile(`${dir}/server.crt`, cert);
  await Deno.writeTextFile(`${dir}/server.key`, key);
  await Deno.writeTextFile(`${dir}/clients-ca.crt`, caPem);
  const port = freePort();
  const child = new Deno.Command("openssl", {
    args: [
      "s_server",
      "-accept",
      `127.0.0.1:${port}`,
      "-cert",
      `${dir}/server.crt`,
      "-key",
      `${dir}/server.key`,
      "-CAfile",
      `${dir}/clients-ca.crt`,
      "-Verify",
      "1",
      "-www",
      "-quiet",
    ],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  await waitFor("openssl s_server to listen", async () => {
    (await Deno.connect({ hostname: "127.0.0.1", port })).close();
    return true;
  }, { retryErrors: true });
  return {
    port,
    async close() {
      child.kill("SIGKILL");
      await child.status;
    },
  };
}

function gatewayWithClientCertYaml(port: number, secret: string | undefined): string {
  const tls = secret === undefined
    ? ""
    : `  tls:\n    backend:\n      clientCertificateRef: { group: "", kind: Secret, name: ${secret} }\n`;
  return gatewayYaml(port) + tls;
}

Deno.test("GatewayBackendClientCertificate: the Gateway's client certificate is presented to TLS backends", async () => {
  await using ca = await createTestCa("backend CA");
  const server = await ca.issue(["abc.example.com"]);
  const clientCert = await ca.issue(["gateway.example.com"], { clientAuth: true });
  const dir = await Deno.makeTempDir({ prefix: "serval-e2e-mtls-" });
  const backend = await startMtlsBackend(dir, server.certPem, server.keyPem, ca.certPem);
  const manifests = `${dir}/manifests`;
  await Deno.mkdir(manifests);
  const port = freePort();
  await writeManifests(manifests, {
    "gateway.yaml": gatewayWithClientCertYaml(port, "client"),
    "secret.yaml": tlsSecretYaml("client", clientCert.certPem, clientCert.keyPem),
    "service.yaml": serviceYaml("mtls", backend.port),
    "ca.yaml": caMapYaml("ca", ca.certPem),
    "policy.yaml": policyYaml("mtls", "mtls", `hostname: abc.example.com\n${CA_REF("ca")}`),
    "route.yaml": routeYaml(
      "mtls",
      ["app.example.com"],
      `- backendRefs: [{ name: mtls, port: 80 }]\n`,
    ),
  });
  await using gw = await startGateway({ manifests });
  const get = async () => {
    const res = await fetch(`http://127.0.0.1:${port}/`, {
      client,
      headers: { host: "app.example.com" },
    });
    return { status: res.status, text: await res.text() };
  };
  try {
    const ok = await get();
    assertEquals(ok.status, 200, ok.text);
    assertStringIncludes(ok.text, "gateway.example.com", "the backend saw our client certificate");
    // Without the certificate the backend refuses the handshake.
    await writeManifests(manifests, { "gateway.yaml": gatewayWithClientCertYaml(port, undefined) });
    await waitFor("requests without a client certificate to fail", async () => {
      return (await get()).status === 502;
    });
  } finally {
    await backend.close();
    await gw.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
