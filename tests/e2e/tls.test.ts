/**
 * HTTPS through the real gateway process: an HTTP listener redirecting to
 * HTTPS (`RequestRedirect` with `scheme: https`), the HTTPS listener serving
 * the redirected URL with its Secret's certificate, a listener whose Secret is
 * invalid excluded on its own (`ResolvedRefs=False`, `InvalidCertificateRef`)
 * while its neighbour keeps serving, and a Secret renewal picked up without
 * restart.
 */
import { assert, assertEquals, assertFalse } from "@std/assert";
import { type EchoRecord, startEchoBackend } from "../_helpers/echo_backend.ts";
import { createTestCa, type TestCertificate } from "../_helpers/certs.ts";
import { freePorts, startGateway } from "../_helpers/gateway_process.ts";
import { curlHttps, peerCertificate } from "../dataplane/tls_test_client.ts";
import { classAndGatewayYaml, httpsListener } from "../../scripts/manifests.ts";
import { serviceYaml, tlsSecretYaml, writeManifests } from "./_manifests.ts";

function manifests(httpPort: number, httpsPort: number): string {
  const listeners = [
    `{ name: http, protocol: HTTP, port: ${httpPort} }`,
    httpsListener("https-foo", httpsPort, "foo-cert", "foo.example.com"),
    httpsListener("https-bad", httpsPort, "bad-cert", "bad.example.com"),
  ];
  return `${classAndGatewayYaml("e2e", listeners)}---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: to-https
  namespace: default
spec:
  parentRefs: [{ name: e2e, sectionName: http }]
  rules:
    - filters:
        - type: RequestRedirect
          requestRedirect: { scheme: https, port: ${httpsPort}, statusCode: 301 }
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: app
  namespace: default
spec:
  parentRefs:
    - { name: e2e, sectionName: https-foo }
    - { name: e2e, sectionName: https-bad }
  rules:
    - backendRefs: [{ name: echo, port: 80 }]
`;
}

Deno.test("HTTP redirects to HTTPS, the HTTPS listener serves it, an invalid Secret only disables its own listener, and a renewed Secret is served without restart", async () => {
  await using ca = await createTestCa();
  const caFile = `${ca.dir}/ca.crt`;
  await using backend = startEchoBackend();
  const [httpPort, httpsPort] = freePorts(2);
  const dir = await Deno.makeTempDir({ prefix: "serval-tls-e2e-" });
  const write = (foo: TestCertificate) =>
    writeManifests(dir, {
      "gateway.yaml": manifests(httpPort, httpsPort),
      "service.yaml": serviceYaml("echo", backend.port),
      "secrets.yaml": tlsSecretYaml("foo-cert", foo.certPem, foo.keyPem) + "---\n" +
        tlsSecretYaml("bad-cert", "not a certificate", "not a key"),
    });
  const first = await ca.issue(["foo.example.com"], { commonName: "foo-first" });
  await write(first);
  await using gw = await startGateway({ manifests: dir });

  // 1. The HTTP listener redirects to the HTTPS port.
  // fetch drops a caller-set Host unless the client allows it.
  using client = Deno.createHttpClient({ allowHost: true });
  const redirect = await fetch(`http://127.0.0.1:${httpPort}/path?q=1`, {
    client,
    headers: { host: "foo.example.com" },
    redirect: "manual",
  });
  await redirect.body?.cancel();
  assertEquals(redirect.status, 301);
  const location = redirect.headers.get("location")!;
  assertEquals(location, `https://foo.example.com:${httpsPort}/path?q=1`);

  // 2. Following it lands on the HTTPS listener, verified against the test CA.
  const followed = await curlHttps({
    port: httpsPort,
    caFile,
    names: ["foo.example.com"],
    args: ["--http2", "-w", "\n%{http_version}", location],
  });
  assert(followed.success, followed.stderr);
  const cut = followed.stdout.lastIndexOf("\n");
  assertEquals(followed.stdout.slice(cut + 1), "2");
  const record = JSON.parse(followed.stdout.slice(0, cut)) as EchoRecord;
  assertEquals(record.target, "/path?q=1");
  assertEquals(
    record.headers.find(([k]) => k.toLowerCase() === "x-forwarded-proto")?.[1],
    "https",
  );

  // 3. The listener with the invalid Secret is excluded on its own.
  assertFalse((await peerCertificate(httpsPort, "bad.example.com", caFile)).verified);
  const config = await (await gw.admin("/config")).json();
  const gateway = (config.statuses as {
    kind: string;
    name: string;
    status: {
      listeners?: {
        name: string;
        conditions: { type: string; status: string; reason: string }[];
      }[];
    };
  }[]).find((s) => s.kind === "Gateway" && s.name === "e2e");
  const bad = gateway?.status.listeners?.find((l) => l.name === "https-bad");
  const resolved = bad?.conditions.find((c) => c.type === "ResolvedRefs");
  assertEquals([resolved?.status, resolved?.reason], ["False", "InvalidCertificateRef"]);
  assertEquals(
    (await peerCertificate(httpsPort, "foo.example.com", caFile)).commonName,
    "foo-first",
  );

  // 4. A renewed Secret is served to new handshakes without a restart.
  const renewed = await ca.issue(["foo.example.com"], { commonName: "foo-renewed" });
  await write(renewed);
  const deadline = Date.now() + 60_000;
  let seen: string | undefined;
  while (Date.now() < deadline) {
    seen = (await peerCertificate(httpsPort, "foo.example.com", caFile)).commonName;
    if (seen === "foo-renewed") break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assertEquals(seen, "foo-renewed");
  await gw.stop();
  await Deno.remove(dir, { recursive: true });
});
