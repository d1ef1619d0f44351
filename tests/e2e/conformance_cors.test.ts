/**
 * HTTPRouteCORS through the real gateway process: preflights answered by the
 * gateway (exact and wildcard origins, `*` methods and headers, credentials),
 * the CORS headers on actual requests, and what a disallowed origin gets.
 * The table follows the upstream HTTPRouteCORS test's cases.
 */
import {
  type Case,
  checkTable,
  GATEWAY_CLASS_YAML,
  INFRA,
  serviceYaml,
  simpleGatewayYaml,
  startFixture,
} from "./_conformance.ts";

const V1 = "infra-backend-v1";

function corsRule(prefix: string, cors: string): string {
  return `  - matches: [{ path: { type: PathPrefix, value: ${prefix} } }]
    filters: [{ type: CORS, cors: ${cors} }]
    backendRefs: [{ name: ${V1}, port: 8080 }]`;
}

const ROUTE = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: cors, namespace: ${INFRA} }
spec:
  parentRefs: [{ name: cors }]
  rules:
${
  corsRule(
    "/cors-1",
    `{ allowOrigins: ["https://www.foo.com", "https://*.bar.com"], allowMethods: [GET, OPTIONS],
      allowHeaders: [x-header-1, x-header-2], exposeHeaders: [x-header-3, x-header-4],
      allowCredentials: true, maxAge: 3600 }`,
  )
}
${corsRule("/cors-2", `{ allowOrigins: ["https://www.foo.com"], allowMethods: ["*"] }`)}
${corsRule("/cors-any", `{ allowOrigins: ["*"], allowMethods: [PUT], allowCredentials: false }`)}
${
  corsRule(
    "/cors-creds",
    `{ allowOrigins: ["*"], allowMethods: ["*"], allowHeaders: ["*"], allowCredentials: true }`,
  )
}
`;

const PREFLIGHT = { method: "OPTIONS", status: 204 };
const FULL = {
  "access-control-allow-methods": "GET, OPTIONS",
  "access-control-allow-headers": "x-header-1, x-header-2",
  "access-control-expose-headers": "x-header-3, x-header-4",
  "access-control-max-age": "3600",
  "access-control-allow-credentials": "true",
};

const TABLE: Case[] = [
  {
    rule: "a preflight from an exact origin is answered by the gateway",
    ...PREFLIGHT,
    path: "/cors-1",
    headers: {
      Origin: "https://www.foo.com",
      "Access-Control-Request-Method": "GET",
      "Access-Control-Request-Headers": "x-header-1, x-header-2",
    },
    responseHeaders: { "access-control-allow-origin": "https://www.foo.com", ...FULL },
  },
  {
    rule: "a wildcard origin matches any number of labels left of '*'",
    ...PREFLIGHT,
    path: "/cors-1",
    headers: {
      Origin: "https://xpto.www.bar.com",
      "Access-Control-Request-Method": "GET",
      "Access-Control-Request-Headers": "x-header-1, x-header-2",
    },
    responseHeaders: { "access-control-allow-origin": "https://xpto.www.bar.com", ...FULL },
  },
  {
    rule: "a preflight from another origin gets no CORS headers",
    ...PREFLIGHT,
    path: "/cors-1",
    headers: { Origin: "https://foobar.com", "Access-Control-Request-Method": "GET" },
    responseAbsent: ["access-control-allow-origin", "access-control-allow-methods"],
  },
  {
    rule: "'*.bar.com' does not match the bare domain",
    ...PREFLIGHT,
    path: "/cors-1",
    headers: { Origin: "https://bar.com", "Access-Control-Request-Method": "GET" },
    responseAbsent: ["access-control-allow-origin"],
  },
  {
    rule: "an actual request from an allowed origin reaches the backend with CORS headers",
    path: "/cors-1",
    headers: { Origin: "https://www.bar.com" },
    backend: V1,
    responseHeaders: {
      "access-control-allow-origin": "https://www.bar.com",
      "access-control-allow-credentials": "true",
      "access-control-expose-headers": "x-header-3, x-header-4",
    },
  },
  {
    rule: "an actual request from another origin is served without CORS headers",
    path: "/cors-1",
    headers: { Origin: "https://foobar.com" },
    backend: V1,
    responseAbsent: ["access-control-allow-origin"],
  },
  {
    rule: "an OPTIONS request that is not a preflight goes to the backend",
    method: "OPTIONS",
    path: "/cors-1",
    headers: { Origin: "https://www.foo.com" },
    backend: V1,
  },
  {
    rule: "allowMethods '*' echoes the requested method; no credentials header when not allowed",
    ...PREFLIGHT,
    path: "/cors-2",
    headers: { Origin: "https://www.foo.com", "Access-Control-Request-Method": "POST" },
    responseHeaders: {
      "access-control-allow-origin": "https://www.foo.com",
      "access-control-allow-methods": "POST",
      "access-control-max-age": "5",
    },
    responseAbsent: ["access-control-allow-credentials", "access-control-allow-headers"],
  },
  {
    rule: "allowOrigins '*' allows an origin with a port",
    ...PREFLIGHT,
    path: "/cors-any",
    headers: { Origin: "https://foobar.com:12345", "Access-Control-Request-Method": "PUT" },
    responseHeaders: {
      "access-control-allow-origin": "https://foobar.com:12345",
      "access-control-allow-methods": "PUT",
    },
    responseAbsent: ["access-control-allow-credentials"],
  },
  {
    rule: "with credentials, '*' methods and headers echo the request, never '*'",
    ...PREFLIGHT,
    path: "/cors-creds",
    headers: {
      Origin: "https://other.foo.com",
      "Access-Control-Request-Method": "PUT",
      "Access-Control-Request-Headers": "x-header-1, x-header-2",
    },
    responseHeaders: {
      "access-control-allow-origin": "https://other.foo.com",
      "access-control-allow-methods": "PUT",
      "access-control-allow-headers": "x-header-1, x-header-2",
      "access-control-allow-credentials": "true",
    },
  },
  {
    rule: "an actual request with credentials allowed gets the origin and the credentials header",
    path: "/cors-creds",
    headers: { Origin: "https://other.foo.com" },
    backend: V1,
    responseHeaders: {
      "access-control-allow-origin": "https://other.foo.com",
      "access-control-allow-credentials": "true",
      vary: "Origin",
    },
  },
];

Deno.test("conformance: HTTPRouteCORS preflights and actual requests", async () => {
  await using f = await startFixture({
    gatewayPorts: 1,
    backends: [`${INFRA}/${V1}`],
    manifests: (ports, backendPort) => ({
      "class.yaml": GATEWAY_CLASS_YAML,
      "gateway.yaml": simpleGatewayYaml("cors", ports[0]),
      "services.yaml": serviceYaml(INFRA, V1, backendPort(`${INFRA}/${V1}`)),
      "routes.yaml": ROUTE,
    }),
  });
  await checkTable(f.ports[0], TABLE);
});
