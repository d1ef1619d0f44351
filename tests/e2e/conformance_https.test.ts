/**
 * Conformance tables for HTTPS listeners through the real gateway process:
 * routing by Host behind TLS termination (HTTPRouteHTTPSListener) and
 * misdirected requests, where the Host belongs to another listener than the
 * one the TLS server name selected: 421 (HTTPRouteHTTPSListenerDetectMisdirectedRequests).
 */
import { createTestCa } from "../_helpers/certs.ts";
import { tlsSecretYaml } from "./_manifests.ts";
import {
  type Case,
  checkTable,
  GATEWAY_CLASS_YAML,
  INFRA,
  serviceYaml,
  startFixture,
} from "./_conformance.ts";

const V1 = "infra-backend-v1";
const V2 = "infra-backend-v2";
const V3 = "infra-backend-v3";

function route(
  name: string,
  section: string | undefined,
  hostnames: string[],
  prefix: string,
  backend: string,
) {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: ${name}, namespace: ${INFRA} }
spec:
  parentRefs: [{ name: same-namespace-with-https-listener${
    section ? `, sectionName: ${section}` : ""
  } }]
  hostnames: [${hostnames.join(", ")}]
  rules:
    - matches: [{ path: { type: PathPrefix, value: ${prefix} } }]
      backendRefs: [{ name: ${backend}, port: 8080 }]
`;
}

Deno.test("conformance: HTTPS listeners route by Host and answer 421 to misdirected requests", async (t) => {
  await using ca = await createTestCa();
  const leaf = await ca.issue([
    "example.org",
    "second-example.org",
    "unknown-example.org",
    "*.wildcard.org",
  ]);
  await using f = await startFixture({
    gatewayPorts: 1,
    backends: [`${INFRA}/${V1}`, `${INFRA}/${V2}`, `${INFRA}/${V3}`],
    manifests: ([port], backendPort) => ({
      "class.yaml": GATEWAY_CLASS_YAML,
      "services.yaml": [V1, V2, V3].map((s) => serviceYaml(INFRA, s, backendPort(`${INFRA}/${s}`)))
        .join("---\n"),
      "gateway.yaml": `${
        tlsSecretYaml("tls-validity-checks-certificate", leaf.certPem, leaf.keyPem, INFRA)
      }---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: same-namespace-with-https-listener, namespace: ${INFRA} }
spec:
  gatewayClassName: conformance
  listeners:
${
        [
          ["https", undefined],
          ["https-with-hostname", "second-example.org"],
          ["https-with-wildcard-hostname", "*.wildcard.org"],
          ["https-with-hostname-matching-wildcard", "fourth-example.wildcard.org"],
        ].map(([name, hostname]) =>
          `    - name: ${name}
      port: ${port}
      protocol: HTTPS
${
            hostname
              ? `      hostname: "${hostname}"\n`
              : ""
          }      allowedRoutes: { namespaces: { from: Same } }
      tls: { certificateRefs: [{ group: "", kind: Secret, name: tls-validity-checks-certificate, namespace: ${INFRA} }] }`
        ).join("\n")
      }
`,
      "routes.yaml": [
        route("httproute-https-test", undefined, ["example.org"], "/", V1),
        route("httproute-https-test-no-hostname", "https-with-hostname", [], "/", V2),
        route("misdirected-1", "https", ["example.org"], "/detect-misdirected-requests", V1),
        route("misdirected-2", "https-with-hostname", [], "/detect-misdirected-requests", V2),
        route(
          "misdirected-3",
          "https-with-wildcard-hostname",
          [],
          "/detect-misdirected-requests",
          V3,
        ),
        route(
          "misdirected-4",
          "https-with-hostname-matching-wildcard",
          [],
          "/detect-misdirected-requests",
          V1,
        ),
      ].join("---\n"),
    }),
  });
  const port = f.ports[0];
  const tls = (c: Case): Case => ({ ...c, tlsCa: ca.certPem });

  await t.step("HTTPRouteHTTPSListener", async () => {
    await checkTable(port, [
      tls({
        rule: "route hostname on the listener without hostname",
        host: "example.org",
        path: "/",
        backend: V1,
      }),
      tls({ rule: "no route for the host", host: "unknown-example.org", path: "/", status: 404 }),
      tls({
        rule: "route on the listener with that hostname",
        host: "second-example.org",
        path: "/",
        backend: V2,
      }),
    ]);
  });

  await t.step("HTTPRouteHTTPSListenerDetectMisdirectedRequests", async () => {
    const path = "/detect-misdirected-requests";
    const rows: [string, string, number, string?][] = [
      ["example.org", "example.org", 200, V1],
      ["example.org", "second-example.org", 421],
      ["example.org", "unknown-example.org", 404],
      ["second-example.org", "second-example.org", 200, V2],
      ["second-example.org", "example.org", 421],
      ["second-example.org", "unknown-example.org", 421],
      ["third-example.wildcard.org", "third-example.wildcard.org", 200, V3],
      ["third-example.wildcard.org", "fith-example.wildcard.org", 200, V3],
      ["third-example.wildcard.org", "fourth-example.wildcard.org", 421],
      ["third-example.wildcard.org", "second-example.org", 421],
      ["third-example.wildcard.org", "unknown-example.org", 421],
      ["fourth-example.wildcard.org", "fourth-example.wildcard.org", 200, V1],
      ["fourth-example.wildcard.org", "fith-example.wildcard.org", 421],
      ["unknown-example.org", "example.org", 200, V1],
      ["unknown-example.org", "unknown-example.org", 404],
    ];
    await checkTable(
      port,
      rows.map(([sni, host, status, backend]) =>
        tls({
          rule: status === 421
            ? `SNI ${sni} selects another listener than Host ${host}: 421`
            : `SNI ${sni} and Host ${host} share a listener`,
          sni,
          host,
          path,
          status,
          backend,
        })
      ),
    );
  });
});
