/**
 * Conformance tables for RequestRedirect through the real gateway process:
 * hostname and status (HTTPRouteRedirectHostAndStatus), path
 * (HTTPRouteRedirectPath), port (HTTPRouteRedirectPort), scheme
 * (HTTPRouteRedirectScheme), port and scheme together on HTTP and HTTPS
 * listeners (HTTPRouteRedirectPortAndScheme), and 303/307/308. Every
 * `Location` is checked whole: absolute, `:80` omitted for http and `:443`
 * for https, an unset port with an unset scheme meaning the listener's port.
 * The suite's listeners sit on 80/443; here they sit on free ports, so a row
 * expecting "the listener's port" names that port.
 */
import { createTestCa } from "../_helpers/certs.ts";
import { type Case, checkTable, GATEWAY_CLASS_YAML, INFRA, startFixture } from "./_conformance.ts";
import { tlsSecretYaml } from "./_manifests.ts";

/** A redirect rule on PathPrefix `prefix` with the given `requestRedirect` fields (flow YAML). */
function redirect(prefix: string, fields: string): string {
  return `    - matches: [{ path: { type: PathPrefix, value: ${prefix} } }]
      filters: [{ type: RequestRedirect, requestRedirect: { ${fields} } }]`;
}

function route(name: string, gateway: string, rules: string[]): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: ${name}, namespace: ${INFRA} }
spec:
  parentRefs: [{ name: ${gateway} }]
  rules:
${rules.join("\n")}
`;
}

Deno.test("conformance: RequestRedirect Location and status on HTTP and HTTPS listeners", async (t) => {
  await using ca = await createTestCa();
  const leaf = await ca.issue(["example.org", "example.com"]);
  await using f = await startFixture({
    gatewayPorts: 2,
    backends: [],
    manifests: ([http, https]) => ({
      "class.yaml": GATEWAY_CLASS_YAML,
      "gateways.yaml": `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: same-namespace, namespace: ${INFRA} }
spec:
  gatewayClassName: conformance
  listeners:
    - { name: http, port: ${http}, protocol: HTTP, allowedRoutes: { namespaces: { from: Same } } }
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: same-namespace-with-https-listener, namespace: ${INFRA} }
spec:
  gatewayClassName: conformance
  listeners:
    - name: https
      port: ${https}
      protocol: HTTPS
      tls: { mode: Terminate, certificateRefs: [{ name: tls-validity-checks-certificate }] }
      allowedRoutes: { namespaces: { from: Same } }
---
${tlsSecretYaml("tls-validity-checks-certificate", leaf.certPem, leaf.keyPem, INFRA)}`,
      "routes.yaml": [
        route("redirect-host-and-status", "same-namespace", [
          redirect("/hostname-redirect", "hostname: example.org"),
          redirect("/host-and-status", "statusCode: 301, hostname: example.org"),
          redirect("/status-303", "statusCode: 303, hostname: example.org"),
          redirect("/status-307", "statusCode: 307, hostname: example.org"),
          redirect("/status-308", "statusCode: 308, hostname: example.org"),
        ]),
        route("redirect-path", "same-namespace", [
          redirect(
            "/original-prefix",
            "path: { type: ReplacePrefixMatch, replacePrefixMatch: /replacement-prefix }",
          ),
          redirect(
            "/full",
            "path: { type: ReplaceFullPath, replaceFullPath: /full-path-replacement }",
          ),
          redirect(
            "/path-and-host",
            "hostname: example.org, path: { type: ReplacePrefixMatch, replacePrefixMatch: /replacement-prefix }",
          ),
          redirect(
            "/path-and-status",
            "statusCode: 301, path: { type: ReplacePrefixMatch, replacePrefixMatch: /replacement-prefix }",
          ),
          redirect(
            "/full-path-and-host",
            "hostname: example.org, path: { type: ReplaceFullPath, replaceFullPath: /replacement-full }",
          ),
          redirect(
            "/full-path-and-status",
            "statusCode: 301, path: { type: ReplaceFullPath, replaceFullPath: /replacement-full }",
          ),
          redirect("/strip", "path: { type: ReplacePrefixMatch, replacePrefixMatch: / }"),
        ]),
        route("redirect-port", "same-namespace", [
          redirect("/port", "port: 8083"),
          redirect("/port-and-host", "hostname: example.org, port: 8083"),
          redirect("/port-and-status", "port: 8083, statusCode: 301"),
          redirect(
            "/port-and-host-and-status",
            "port: 8083, hostname: example.org, statusCode: 302",
          ),
        ]),
        route("redirect-scheme", "same-namespace", [
          redirect("/scheme", "scheme: https"),
          redirect("/scheme-and-host", "hostname: example.org, scheme: https"),
          redirect("/scheme-and-status", "scheme: https, statusCode: 301"),
          redirect(
            "/scheme-and-host-and-status",
            "scheme: https, statusCode: 302, hostname: example.org",
          ),
        ]),
        route("http-route-for-listener-on-http", "same-namespace", [
          redirect("/scheme-nil-and-port-nil", "hostname: example.org"),
          redirect("/scheme-nil-and-port-80", "port: 80, hostname: example.org"),
          redirect("/scheme-nil-and-port-8080", "port: 8080, hostname: example.org"),
          redirect("/scheme-https-and-port-nil", "scheme: https, hostname: example.org"),
          redirect("/scheme-https-and-port-443", "scheme: https, port: 443, hostname: example.org"),
          redirect(
            "/scheme-https-and-port-8443",
            "scheme: https, port: 8443, hostname: example.org",
          ),
        ]),
        route("http-route-for-listener-on-https", "same-namespace-with-https-listener", [
          redirect("/scheme-nil-and-port-nil", "hostname: example.org"),
          redirect("/scheme-nil-and-port-443", "port: 443, hostname: example.org"),
          redirect("/scheme-nil-and-port-8443", "port: 8443, hostname: example.org"),
          redirect("/scheme-http-and-port-nil", "scheme: http, hostname: example.org"),
          redirect("/scheme-http-and-port-80", "scheme: http, port: 80, hostname: example.org"),
          redirect("/scheme-http-and-port-8080", "scheme: http, port: 8080, hostname: example.org"),
        ]),
      ].join("---\n"),
    }),
  });
  const [http, https] = f.ports;
  const P = http;

  await t.step("HTTPRouteRedirectHostAndStatus, and 303/307/308", async () => {
    await checkTable(http, [
      {
        rule: "hostname only: 302, scheme and listener port kept",
        path: "/hostname-redirect",
        status: 302,
        location: `http://example.org:${P}/hostname-redirect`,
      },
      {
        rule: "statusCode 301",
        path: "/host-and-status",
        status: 301,
        location: `http://example.org:${P}/host-and-status`,
      },
      {
        rule: "statusCode 303",
        path: "/status-303",
        status: 303,
        location: `http://example.org:${P}/status-303`,
      },
      {
        rule: "statusCode 307",
        path: "/status-307",
        status: 307,
        location: `http://example.org:${P}/status-307`,
      },
      {
        rule: "statusCode 308",
        path: "/status-308",
        status: 308,
        location: `http://example.org:${P}/status-308`,
      },
      {
        rule: "the query string is kept",
        path: "/hostname-redirect/x?a=1&b=%2F",
        status: 302,
        location: `http://example.org:${P}/hostname-redirect/x?a=1&b=%2F`,
      },
    ]);
  });

  await t.step("HTTPRouteRedirectPath", async () => {
    const self = `http://example.com:${P}`;
    await checkTable(http, [
      {
        rule: "ReplacePrefixMatch keeps the rest of the path",
        path: "/original-prefix/lemon",
        status: 302,
        location: `${self}/replacement-prefix/lemon`,
      },
      {
        rule: "ReplaceFullPath",
        path: "/full/path/original",
        status: 302,
        location: `${self}/full-path-replacement`,
      },
      {
        rule: "path and hostname",
        path: "/path-and-host",
        status: 302,
        location: `http://example.org:${P}/replacement-prefix`,
      },
      {
        rule: "path and status",
        path: "/path-and-status",
        status: 301,
        location: `${self}/replacement-prefix`,
      },
      {
        rule: "full path and hostname",
        path: "/full-path-and-host",
        status: 302,
        location: `http://example.org:${P}/replacement-full`,
      },
      {
        rule: "full path and status",
        path: "/full-path-and-status",
        status: 301,
        location: `${self}/replacement-full`,
      },
      {
        rule: "ReplacePrefixMatch / never yields //",
        path: "/strip/a/b?q=1",
        status: 302,
        location: `${self}/a/b?q=1`,
      },
      {
        rule: "ReplacePrefixMatch / of the whole path is /",
        path: "/strip",
        status: 302,
        location: `${self}/`,
      },
      {
        rule: "the Host header's port is not the redirect's port",
        host: "example.com:1234",
        path: "/full/x",
        status: 302,
        location: `${self}/full-path-replacement`,
      },
    ]);
  });

  await t.step("HTTPRouteRedirectPort", async () => {
    await checkTable(http, [
      { rule: "port only", path: "/port", status: 302, location: "http://example.com:8083/port" },
      {
        rule: "port and hostname",
        path: "/port-and-host",
        status: 302,
        location: "http://example.org:8083/port-and-host",
      },
      {
        rule: "port and status",
        path: "/port-and-status",
        status: 301,
        location: "http://example.com:8083/port-and-status",
      },
      {
        rule: "port, hostname and status",
        path: "/port-and-host-and-status",
        status: 302,
        location: "http://example.org:8083/port-and-host-and-status",
      },
    ]);
  });

  await t.step("HTTPRouteRedirectScheme: a scheme implies its well-known port", async () => {
    await checkTable(http, [
      {
        rule: "scheme https, port 443 omitted",
        path: "/scheme",
        status: 302,
        location: "https://example.com/scheme",
      },
      {
        rule: "scheme and hostname",
        path: "/scheme-and-host",
        status: 302,
        location: "https://example.org/scheme-and-host",
      },
      {
        rule: "scheme and status",
        path: "/scheme-and-status",
        status: 301,
        location: "https://example.com/scheme-and-status",
      },
      {
        rule: "scheme, hostname and status",
        path: "/scheme-and-host-and-status",
        status: 302,
        location: "https://example.org/scheme-and-host-and-status",
      },
    ]);
  });

  await t.step("HTTPRouteRedirectPortAndScheme on the HTTP listener", async () => {
    await checkTable(http, [
      {
        rule: "scheme and port unset: the listener's port",
        path: "/scheme-nil-and-port-nil",
        status: 302,
        location: `http://example.org:${P}/scheme-nil-and-port-nil`,
      },
      {
        rule: "port 80 with http is omitted",
        path: "/scheme-nil-and-port-80",
        status: 302,
        location: "http://example.org/scheme-nil-and-port-80",
      },
      {
        rule: "port 8080 is written",
        path: "/scheme-nil-and-port-8080",
        status: 302,
        location: "http://example.org:8080/scheme-nil-and-port-8080",
      },
      {
        rule: "scheme https, port unset: 443, omitted",
        path: "/scheme-https-and-port-nil",
        status: 302,
        location: "https://example.org/scheme-https-and-port-nil",
      },
      {
        rule: "port 443 with https is omitted",
        path: "/scheme-https-and-port-443",
        status: 302,
        location: "https://example.org/scheme-https-and-port-443",
      },
      {
        rule: "port 8443 with https is written",
        path: "/scheme-https-and-port-8443",
        status: 302,
        location: "https://example.org:8443/scheme-https-and-port-8443",
      },
    ]);
  });

  await t.step("HTTPRouteRedirectPortAndScheme on the HTTPS listener", async () => {
    const tls = (c: Omit<Case, "tlsCa" | "host" | "status">): Case => ({
      ...c,
      host: "example.org",
      status: 302,
      tlsCa: ca.certPem,
    });
    await checkTable(https, [
      tls({
        rule: "scheme and port unset: https and the listener's port",
        path: "/scheme-nil-and-port-nil",
        location: `https://example.org:${https}/scheme-nil-and-port-nil`,
      }),
      tls({
        rule: "port 443 with the request's https is omitted",
        path: "/scheme-nil-and-port-443",
        location: "https://example.org/scheme-nil-and-port-443",
      }),
      tls({
        rule: "port 8443 is written",
        path: "/scheme-nil-and-port-8443",
        location: "https://example.org:8443/scheme-nil-and-port-8443",
      }),
      tls({
        rule: "scheme http, port unset: 80, omitted",
        path: "/scheme-http-and-port-nil",
        location: "http://example.org/scheme-http-and-port-nil",
      }),
      tls({
        rule: "port 80 with http is omitted",
        path: "/scheme-http-and-port-80",
        location: "http://example.org/scheme-http-and-port-80",
      }),
      tls({
        rule: "port 8080 with http is written",
        path: "/scheme-http-and-port-8080",
        location: "http://example.org:8080/scheme-http-and-port-8080",
      }),
    ]);
  });
});
