/**
 * Frontend client-certificate validation through the real gateway process,
 * shaped like the upstream tests GatewayFrontendClientCertificateValidation
 * and ...InsecureFallback: a default CA for one HTTPS port and a per-port
 * CA for the other, curl as the client with and without certificates, then
 * the same Gateway switched to AllowInsecureFallback, a rotated CA bundle,
 * and references that cannot be used.
 */
import { assert, assertEquals } from "@std/assert";
import { createTestCa, type TestCa, type TestCertificate } from "../_helpers/certs.ts";
import { curlHttps } from "../dataplane/tls_test_client.ts";
import { tlsSecretYaml } from "./_manifests.ts";
import {
  conditionSummary,
  eventually,
  type Fixture,
  GATEWAY_CLASS_YAML,
  INFRA,
  serviceYaml,
  startFixture,
  statusOf,
} from "./_conformance.ts";

const V1 = "infra-backend-v1";
const V2 = "infra-backend-v2";

function caConfigMapYaml(name: string, pem: string): string {
  return `apiVersion: v1
kind: ConfigMap
metadata: { name: ${name}, namespace: ${INFRA} }
data:
  ca.crt: |
${pem.trim().split("\n").map((l) => `    ${l}`).join("\n")}
`;
}

/** The upstream Gateway's shape: `defaultCa` on `ports[0]`, `perPortCa` on `ports[1]`. */
function gatewayYaml(ports: number[], mode: string, defaultCa: string, perPortCa: string): string {
  const validation = (ca: string) =>
    `validation: { mode: ${mode}, caCertificateRefs: [{ group: "", kind: ConfigMap, name: ${ca} }] }`;
  const tls =
    `tls: { certificateRefs: [{ group: "", kind: Secret, name: server-cert, namespace: ${INFRA} }] }`;
  return `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: client-validation, namespace: ${INFRA} }
spec:
  gatewayClassName: conformance
  tls:
    frontend:
      default: { ${validation(defaultCa)} }
      perPort:
        - { port: ${ports[1]}, tls: { ${validation(perPortCa)} } }
  listeners:
    - { name: https, port: ${
    ports[0]
  }, protocol: HTTPS, allowedRoutes: { namespaces: { from: Same } }, ${tls} }
    - { name: https-with-hostname, port: ${
    ports[1]
  }, hostname: second-example.org, protocol: HTTPS, allowedRoutes: { namespaces: { from: Same } }, ${tls} }
`;
}

const ROUTES = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: default-port, namespace: ${INFRA} }
spec:
  parentRefs: [{ name: client-validation }]
  hostnames: [example.org]
  rules: [{ backendRefs: [{ name: ${V1}, port: 8080 }] }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: per-port, namespace: ${INFRA} }
spec:
  parentRefs: [{ name: client-validation, sectionName: https-with-hostname }]
  rules: [{ backendRefs: [{ name: ${V2}, port: 8080 }] }]
`;

interface World {
  f: Fixture;
  server: TestCa;
  /** curl arguments presenting each client identity. */
  ids: Record<"first" | "second" | "stranger", string[]>;
}

async function identity(dir: string, name: string, cert: TestCertificate): Promise<string[]> {
  await Deno.writeTextFile(`${dir}/${name}.crt`, cert.certPem);
  await Deno.writeTextFile(`${dir}/${name}.key`, cert.keyPem);
  return ["--cert", `${dir}/${name}.crt`, "--key", `${dir}/${name}.key`];
}

/** The backend that answered `host` on `port`, or `refused`. */
async function served(w: World, port: number, host: string, id: string[]): Promise<string> {
  const result = await curlHttps({
    port,
    caFile: `${w.server.dir}/ca.crt`,
    names: [host],
    args: [...id, "-m", "20", `https://${host}:PORT/`],
  });
  if (!result.success) return "refused";
  return (JSON.parse(result.stdout) as { name: string }).name;
}

/** Waits until each `[port index, host, identity, expected]` holds. */
async function expectServed(
  w: World,
  cases: [number, string, keyof World["ids"] | "none", string][],
): Promise<void> {
  const why = await eventually(async () => {
    for (const [at, host, who, expected] of cases) {
      const got = await served(w, w.f.ports[at], host, who === "none" ? [] : w.ids[who]);
      if (got !== expected) return `${who} on port ${at} for ${host}: ${got}, not ${expected}`;
    }
    return undefined;
  });
  assertEquals(why, undefined);
}

Deno.test("client certificates: default and per-port CAs, insecure fallback, CA rotation, bad references", async (t) => {
  await using server = await createTestCa("server CA");
  await using firstCa = await createTestCa("first clients CA");
  await using secondCa = await createTestCa("second clients CA");
  await using strangerCa = await createTestCa("someone else's CA");
  const leaf = await server.issue(["example.org", "second-example.org"]);
  await using f = await startFixture({
    gatewayPorts: 2,
    backends: [`${INFRA}/${V1}`, `${INFRA}/${V2}`],
    manifests: (ports, backendPort) => ({
      "class.yaml": GATEWAY_CLASS_YAML,
      "services.yaml": [V1, V2].map((s) => serviceYaml(INFRA, s, backendPort(`${INFRA}/${s}`)))
        .join("---\n"),
      "cas.yaml": `${caConfigMapYaml("first-ca", firstCa.certPem)}---
${caConfigMapYaml("second-ca", secondCa.certPem)}`,
      "gateway.yaml": `${tlsSecretYaml("server-cert", leaf.certPem, leaf.keyPem, INFRA)}---
${gatewayYaml(ports, "AllowValidOnly", "first-ca", "second-ca")}`,
      "routes.yaml": ROUTES,
    }),
  });
  const client = (ca: TestCa, name: string) => ca.issue([], { commonName: name, clientAuth: true });
  const w: World = {
    f,
    server,
    ids: {
      first: await identity(f.dir, "first", await client(firstCa, "first client")),
      second: await identity(f.dir, "second", await client(secondCa, "second client")),
      stranger: await identity(f.dir, "stranger", await client(strangerCa, "stranger")),
    },
  };

  await t.step("AllowValidOnly: each port takes only its CA's clients", async () => {
    await expectServed(w, [
      [0, "example.org", "first", V1],
      [0, "example.org", "second", "refused"],
      [0, "example.org", "none", "refused"],
      [1, "second-example.org", "second", V2],
      [1, "second-example.org", "first", "refused"],
      [1, "second-example.org", "stranger", "refused"],
    ]);
    const gateway = statusOf(await f.config(), "Gateway", INFRA, "client-validation");
    assert(!conditionSummary(gateway.conditions).some((c) => c.startsWith("InsecureFrontend")));
  });

  await t.step("AllowInsecureFallback: everyone is served and the Gateway says so", async () => {
    await f.write(
      "gateway.yaml",
      `${tlsSecretYaml("server-cert", leaf.certPem, leaf.keyPem, INFRA)}---
${gatewayYaml(f.ports, "AllowInsecureFallback", "first-ca", "second-ca")}`,
    );
    await expectServed(w, [
      [0, "example.org", "second", V1],
      [0, "example.org", "none", V1],
      [1, "second-example.org", "first", V2],
      [1, "second-example.org", "stranger", V2],
    ]);
    const gateway = statusOf(await f.config(), "Gateway", INFRA, "client-validation");
    assert(
      conditionSummary(gateway.conditions).includes(
        "InsecureFrontendValidationMode=True/ConfigurationChanged",
      ),
    );
  });

  await t.step("a rotated CA bundle applies to new connections", async () => {
    await f.write(
      "gateway.yaml",
      `${tlsSecretYaml("server-cert", leaf.certPem, leaf.keyPem, INFRA)}---
${gatewayYaml(f.ports, "AllowValidOnly", "first-ca", "second-ca")}`,
    );
    await f.write(
      "cas.yaml",
      `${caConfigMapYaml("first-ca", secondCa.certPem)}---
${caConfigMapYaml("second-ca", secondCa.certPem)}`,
    );
    await expectServed(w, [
      [0, "example.org", "first", "refused"],
      [0, "example.org", "second", V1],
    ]);
  });

  await t.step("bad references: the listener says why and the other keeps serving", async () => {
    await f.write(
      "gateway.yaml",
      `${tlsSecretYaml("server-cert", leaf.certPem, leaf.keyPem, INFRA)}---
${gatewayYaml(f.ports, "AllowValidOnly", "second-ca", "no-such-ca")}`,
    );
    const why = await eventually(async () => {
      const status = statusOf(await f.config(), "Gateway", INFRA, "client-validation");
      const listener = status.listeners?.find((l) => l.name === "https-with-hostname");
      const got = conditionSummary(listener?.conditions).filter((c) => !c.startsWith("Conflicted"))
        .sort().join(" ");
      const want = "Accepted=False/NoValidCACertificate Programmed=False/Invalid " +
        "ResolvedRefs=False/InvalidCACertificateRef";
      return got === want ? undefined : got;
    });
    assertEquals(why, undefined);
    await expectServed(w, [
      [0, "example.org", "second", V1],
      [1, "second-example.org", "second", "refused"],
    ]);
  });
});

Deno.test("client certificates with --workers 2: every worker validates", async () => {
  await using server = await createTestCa("server CA");
  await using clientsCa = await createTestCa("clients CA");
  await using strangerCa = await createTestCa("someone else's CA");
  const leaf = await server.issue(["example.org", "second-example.org"]);
  await using f = await startFixture({
    gatewayPorts: 2,
    backends: [`${INFRA}/${V1}`, `${INFRA}/${V2}`],
    args: ["--workers", "2"],
    manifests: (ports, backendPort) => ({
      "class.yaml": GATEWAY_CLASS_YAML,
      "services.yaml": [V1, V2].map((s) => serviceYaml(INFRA, s, backendPort(`${INFRA}/${s}`)))
        .join("---\n"),
      "cas.yaml": caConfigMapYaml("clients-ca", clientsCa.certPem),
      "gateway.yaml": `${tlsSecretYaml("server-cert", leaf.certPem, leaf.keyPem, INFRA)}---
${gatewayYaml(ports, "AllowValidOnly", "clients-ca", "clients-ca")}`,
      "routes.yaml": ROUTES,
    }),
  });
  const client = (ca: TestCa, name: string) => ca.issue([], { commonName: name, clientAuth: true });
  const w: World = {
    f,
    server,
    ids: {
      first: await identity(f.dir, "first", await client(clientsCa, "first client")),
      second: await identity(f.dir, "second", await client(clientsCa, "second client")),
      stranger: await identity(f.dir, "stranger", await client(strangerCa, "stranger")),
    },
  };
  // Fresh connections each: the kernel spreads them over both workers.
  const rounds = Array.from({ length: 4 }, () =>
    [
      [0, "example.org", "first", V1],
      [0, "example.org", "stranger", "refused"],
      [1, "second-example.org", "second", V2],
      [1, "second-example.org", "none", "refused"],
    ] as [number, string, keyof World["ids"] | "none", string][]).flat();
  await expectServed(w, rounds);
});
