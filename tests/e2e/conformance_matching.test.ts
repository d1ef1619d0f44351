/**
 * Conformance tables for HTTPRoute matching through the real gateway process:
 * path (Exact, PathPrefix on whole segments), match order, headers, query
 * parameters, methods, matching across routes, and the request-target the
 * backend receives. Each table follows one conformance test of the Gateway
 * API suite (HTTPRouteMatching, HTTPRouteExactPathMatching, ...), with its own
 * manifests; each Gateway gets its own port so the routes do not meet.
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
const V2 = "infra-backend-v2";
const V3 = "infra-backend-v3";

/** An HTTPRoute in the infra namespace attached to Gateway `gateway`, with raw YAML for the rest of its spec. */
function route(name: string, gateway: string, spec: string): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: ${name}, namespace: ${INFRA} }
spec:
  parentRefs: [{ name: ${gateway} }]
${spec.replace(/^/gm, "  ").trimEnd()}
`;
}

const to = (backend: string) => `backendRefs: [{ name: ${backend}, port: 8080 }]`;

const GATEWAYS = [
  "matching",
  "exact",
  "order",
  "headers",
  "query",
  "methods",
  "across",
  "target",
  "ties",
] as const;

/** A route attached to Gateway `ties` with a creation timestamp, hostnames and rules. */
function tieRoute(name: string, created: string, hostnames: string[], rules: string): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: ${name}, namespace: ${INFRA}, creationTimestamp: "${created}" }
spec:
  parentRefs: [{ name: ties }]
  hostnames: [${hostnames.map((h) => JSON.stringify(h)).join(", ")}]
  rules:
${rules.replace(/^/gm, "    ").trimEnd()}
`;
}

const ROUTES: Record<(typeof GATEWAYS)[number], string> = {
  matching: route(
    "matching",
    "matching",
    `rules:
  - matches:
      - path: { type: PathPrefix, value: / }
      - headers: [{ name: version, value: one }]
    ${to(V1)}
  - matches:
      - path: { type: PathPrefix, value: /v2 }
      - headers: [{ name: version, value: two }]
    ${to(V2)}`,
  ),
  exact: route(
    "exact-matching",
    "exact",
    `rules:
  - matches: [{ path: { type: Exact, value: /one } }]
    ${to(V1)}
  - matches: [{ path: { type: Exact, value: /two } }]
    ${to(V2)}`,
  ),
  order: route(
    "path-matching-order",
    "order",
    `rules:
  - matches: [{ path: { type: Exact, value: /match } }]
    ${to(V1)}
  - matches: [{ path: { type: Exact, value: /match/exact } }]
    ${to(V2)}
  - matches: [{ path: { type: Exact, value: /match/exact/one } }]
    ${to(V3)}
  - matches: [{ path: { type: PathPrefix, value: /match/ } }]
    ${to(V3)}
  - matches: [{ path: { type: PathPrefix, value: /match/prefix/ } }]
    ${to(V1)}
  - matches: [{ path: { type: PathPrefix, value: /match/prefix/one } }]
    ${to(V2)}`,
  ),
  headers: route(
    "header-matching",
    "headers",
    `rules:
  - matches: [{ headers: [{ name: version, value: one }] }]
    ${to(V1)}
  - matches: [{ headers: [{ name: version, value: two }] }]
    ${to(V2)}
  - matches: [{ headers: [{ name: version, value: two }, { name: color, value: orange }] }]
    ${to(V1)}
  - matches:
      - headers: [{ name: color, value: blue }]
      - headers: [{ name: color, value: green }]
    ${to(V1)}
  - matches:
      - headers: [{ name: color, value: red }]
      - headers: [{ name: color, value: yellow }]
    ${to(V2)}
  - matches: [{ headers: [{ type: RegularExpression, name: x-pattern, value: "^v[0-9]+$" }] }]
    ${to(V3)}`,
  ),
  query: route(
    "query-param-matching",
    "query",
    `rules:
  - matches: [{ queryParams: [{ name: animal, value: whale }] }]
    ${to(V1)}
  - matches: [{ queryParams: [{ name: animal, value: dolphin }] }]
    ${to(V2)}
  - matches:
      - queryParams: [{ name: animal, value: dolphin }, { name: color, value: blue }]
      - queryParams: [{ name: ANIMAL, value: Whale }]
    ${to(V3)}
  - matches: [{ path: { type: PathPrefix, value: /path1 }, queryParams: [{ name: animal, value: whale }] }]
    ${to(V1)}
  - matches: [{ headers: [{ name: version, value: one }], queryParams: [{ name: animal, value: whale }] }]
    ${to(V2)}
  - matches:
      - path: { type: PathPrefix, value: /path2 }
        headers: [{ name: version, value: two }]
        queryParams: [{ name: animal, value: whale }]
    ${to(V3)}
  - matches:
      - path: { type: PathPrefix, value: /path3 }
        queryParams: [{ name: animal, value: shark }]
      - path: { type: PathPrefix, value: /path4 }
        headers: [{ name: version, value: three }]
        queryParams: [{ name: animal, value: kraken }]
    ${to(V1)}
  - matches: [{ path: { type: PathPrefix, value: /path5 } }]
    ${to(V1)}
  - matches: [{ queryParams: [{ name: animal, value: hydra }] }]
    ${to(V2)}
  - matches: [{ headers: [{ name: version, value: four }] }]
    ${to(V3)}`,
  ),
  methods: route(
    "method-matching",
    "methods",
    `rules:
  - matches: [{ method: POST }]
    ${to(V1)}
  - matches: [{ method: GET }]
    ${to(V2)}
  - matches: [{ path: { type: PathPrefix, value: /path1 }, method: GET }]
    ${to(V1)}
  - matches: [{ headers: [{ name: version, value: one }], method: PUT }]
    ${to(V2)}
  - matches:
      - path: { type: PathPrefix, value: /path2 }
        headers: [{ name: version, value: two }]
        method: POST
    ${to(V3)}
  - matches:
      - path: { type: PathPrefix, value: /path3 }
        method: PATCH
      - path: { type: PathPrefix, value: /path4 }
        headers: [{ name: version, value: three }]
        method: DELETE
    ${to(V1)}
  - matches: [{ path: { type: PathPrefix, value: /path5 } }]
    ${to(V1)}
  - matches: [{ method: PATCH }]
    ${to(V2)}
  - matches: [{ headers: [{ name: version, value: four }] }]
    ${to(V3)}`,
  ),
  across: [
    route(
      "matching-part1",
      "across",
      `hostnames: [example.com, example.net]
rules:
  - matches:
      - path: { type: PathPrefix, value: / }
      - headers: [{ name: version, value: one }]
    ${to(V1)}`,
    ),
    route(
      "matching-part2",
      "across",
      `hostnames: [example.com]
rules:
  - matches:
      - path: { type: PathPrefix, value: /v2 }
      - headers: [{ name: version, value: two }]
    ${to(V2)}`,
    ),
  ].join("---\n"),
  target: route(
    "request-target",
    "target",
    `rules:
  - matches: [{ path: { type: PathPrefix, value: /prefix/ } }]
    ${to(V2)}
  - matches: [{ path: { type: PathPrefix, value: /exact } }]
    ${to(V3)}
  - matches: [{ path: { type: Exact, value: /exact } }]
    ${to(V1)}
  - matches: [{ path: { type: RegularExpression, value: "/re/[0-9]+" } }]
    ${to(V1)}`,
  ),
  ties: [
    // Created later but alphabetically first: age decides before names.
    tieRoute(
      "a-newer",
      "2024-01-01T00:00:00Z",
      [],
      `- matches: [{ path: { type: PathPrefix, value: /tie } }]
  ${to(V2)}`,
    ),
    tieRoute(
      "z-older",
      "2020-01-01T00:00:00Z",
      [],
      `- matches: [{ path: { type: PathPrefix, value: /tie } }]
  ${to(V1)}`,
    ),
    tieRoute(
      "b-same-age",
      "2022-01-01T00:00:00Z",
      [],
      `- matches: [{ path: { type: PathPrefix, value: /alpha } }]
  ${to(V1)}
- matches: [{ path: { type: PathPrefix, value: /rules } }]
  ${to(V2)}
- matches: [{ path: { type: PathPrefix, value: /rules } }]
  ${to(V3)}`,
    ),
    tieRoute(
      "c-same-age",
      "2022-01-01T00:00:00Z",
      [],
      `- matches: [{ path: { type: PathPrefix, value: /alpha } }]
  ${to(V2)}`,
    ),
    tieRoute(
      "exact-host",
      "2023-01-01T00:00:00Z",
      ["foo.example.com"],
      `- matches: [{ path: { type: PathPrefix, value: /only-exact } }]
  ${to(V1)}`,
    ),
    tieRoute(
      "wild-host",
      "2021-01-01T00:00:00Z",
      ["*.example.com"],
      `- matches: [{ path: { type: PathPrefix, value: / } }]
  ${to(V2)}
- matches: [{ path: { type: PathPrefix, value: /only-exact/deeper } }]
  ${to(V3)}`,
    ),
    tieRoute(
      "deeper-wild-host",
      "2021-01-01T00:00:00Z",
      ["*.foo.example.com"],
      `- matches: [{ path: { type: PathPrefix, value: / } }]
  ${to(V3)}`,
    ),
    tieRoute(
      "any-host",
      "2019-01-01T00:00:00Z",
      [],
      `- matches: [{ path: { type: PathPrefix, value: /any } }]
  ${to(V3)}`,
    ),
  ].join("---\n"),
};

Deno.test("conformance: HTTPRoute matching tables hold through the gateway process", async (t) => {
  await using f = await startFixture({
    gatewayPorts: GATEWAYS.length,
    backends: [`${INFRA}/${V1}`, `${INFRA}/${V2}`, `${INFRA}/${V3}`],
    manifests: (ports, backendPort) => ({
      "class.yaml": GATEWAY_CLASS_YAML,
      "gateways.yaml": GATEWAYS.map((g, i) => simpleGatewayYaml(g, ports[i])).join("---\n"),
      "services.yaml": [V1, V2, V3].map((s) => serviceYaml(INFRA, s, backendPort(`${INFRA}/${s}`)))
        .join("---\n"),
      "routes.yaml": Object.values(ROUTES).join("---\n"),
    }),
  });
  const port = (g: (typeof GATEWAYS)[number]) => f.ports[GATEWAYS.indexOf(g)];

  await t.step("HTTPRouteMatching: PathPrefix on whole segments, OR of matches", async () => {
    const table: Case[] = [
      { rule: "PathPrefix / matches the root", path: "/", backend: V1 },
      { rule: "PathPrefix / matches any path", path: "/example", backend: V1 },
      {
        rule: "a header-only match defaults to PathPrefix /",
        path: "/",
        headers: { Version: "one" },
        backend: V1,
      },
      { rule: "longest PathPrefix wins", path: "/v2", backend: V2 },
      { rule: "PathPrefix /v2 matches /v2/example", path: "/v2/example", backend: V2 },
      {
        rule: "same prefix length: the match with more headers wins",
        path: "/",
        headers: { Version: "two" },
        backend: V2,
      },
      { rule: "PathPrefix /v2 matches /v2/ (trailing slash)", path: "/v2/", backend: V2 },
      { rule: "PathPrefix /v2 does not match /v2example", path: "/v2example", backend: V1 },
      { rule: "PathPrefix matches from the start only", path: "/foo/v2/example", backend: V1 },
    ];
    await checkTable(port("matching"), table);
  });

  await t.step("HTTPRouteExactPathMatching: Exact is exact and case-sensitive", async () => {
    await checkTable(port("exact"), [
      { rule: "Exact /one", path: "/one", backend: V1 },
      { rule: "Exact /two", path: "/two", backend: V2 },
      { rule: "no rule for /: 404", path: "/", status: 404 },
      { rule: "Exact does not match a longer path", path: "/one/example", status: 404 },
      { rule: "Exact does not match a trailing slash", path: "/two/", status: 404 },
      { rule: "path matching is case-sensitive", path: "/Two", status: 404 },
    ]);
  });

  await t.step("HTTPRoutePathMatchOrder: Exact before prefixes, longest prefix first", async () => {
    await checkTable(port("order"), [
      { rule: "Exact beats PathPrefix /match/", path: "/match/exact/one", backend: V3 },
      { rule: "Exact /match/exact", path: "/match/exact", backend: V2 },
      { rule: "Exact /match", path: "/match", backend: V1 },
      {
        rule: "longest prefix /match/prefix/one",
        path: "/match/prefix/one/any",
        backend: V2,
      },
      {
        rule: "prefix /match/prefix/ (trailing slash ignored)",
        path: "/match/prefix/any",
        backend: V1,
      },
      { rule: "prefix /match/", path: "/match/any", backend: V3 },
    ]);
  });

  await t.step("HTTPRouteHeaderMatching: AND within a match, OR across", async () => {
    await checkTable(port("headers"), [
      { rule: "version: one", path: "/", headers: { Version: "one" }, backend: V1 },
      { rule: "version: two", path: "/", headers: { Version: "two" }, backend: V2 },
      {
        rule: "two header matches beat one",
        path: "/",
        headers: { Version: "two", Color: "orange" },
        backend: V1,
      },
      {
        rule: "same header count: the earlier rule wins",
        path: "/",
        headers: { Version: "two", Color: "blue" },
        backend: V2,
      },
      {
        rule: "AND: color alone is not enough",
        path: "/",
        headers: { Color: "orange" },
        status: 404,
      },
      {
        rule: "unknown header: 404",
        path: "/",
        headers: { "Some-Other-Header": "one" },
        status: 404,
      },
      { rule: "OR: blue", path: "/", headers: { Color: "blue" }, backend: V1 },
      { rule: "OR: green", path: "/", headers: { Color: "green" }, backend: V1 },
      { rule: "OR: red", path: "/", headers: { Color: "red" }, backend: V2 },
      { rule: "OR: yellow", path: "/", headers: { Color: "yellow" }, backend: V2 },
      { rule: "no matching value: 404", path: "/", headers: { Color: "purple" }, status: 404 },
      {
        rule: "header names match case-insensitively",
        path: "/",
        headers: { VERSION: "one" },
        backend: V1,
      },
      {
        rule: "header values match case-sensitively",
        path: "/",
        headers: { Version: "ONE" },
        status: 404,
      },
      {
        rule: "RegularExpression header match",
        path: "/",
        headers: { "X-Pattern": "v12" },
        backend: V3,
      },
      {
        rule: "RegularExpression header match fails",
        path: "/",
        headers: { "X-Pattern": "w12" },
        status: 404,
      },
    ]);
  });

  await t.step("HTTPRouteQueryParamMatching: exact, case-sensitive names, precedence", async () => {
    await checkTable(port("query"), [
      { rule: "animal=whale", path: "/?animal=whale", backend: V1 },
      { rule: "animal=dolphin", path: "/?animal=dolphin", backend: V2 },
      { rule: "two query matches beat one", path: "/?animal=dolphin&color=blue", backend: V3 },
      { rule: "query names are case-sensitive", path: "/?ANIMAL=Whale", backend: V3 },
      {
        rule: "extra params are ignored",
        path: "/?animal=whale&otherparam=irrelevant",
        backend: V1,
      },
      { rule: "partial AND falls back", path: "/?animal=dolphin&color=yellow", backend: V2 },
      { rule: "color alone: 404", path: "/?color=blue", status: 404 },
      { rule: "no value match: 404", path: "/?animal=dog", status: 404 },
      { rule: "values match exactly", path: "/?animal=whaledolphin", status: 404 },
      { rule: "no query: 404", path: "/", status: 404 },
      { rule: "path AND query", path: "/path1?animal=whale", backend: V1 },
      {
        rule: "header AND query",
        path: "/?animal=whale",
        headers: { version: "one" },
        backend: V2,
      },
      {
        rule: "path AND header AND query",
        path: "/path2?animal=whale",
        headers: { version: "two" },
        backend: V3,
      },
      { rule: "OR of ANDs: first", path: "/path3?animal=shark", backend: V1 },
      {
        rule: "OR of ANDs: second",
        path: "/path4?animal=kraken",
        headers: { version: "three" },
        backend: V1,
      },
      { rule: "AND subset does not match", path: "/?animal=shark", status: 404 },
      { rule: "AND subset without header", path: "/path4?animal=kraken", status: 404 },
      { rule: "a longer path beats query matches", path: "/path5?animal=hydra", backend: V1 },
      {
        rule: "headers beat query params",
        path: "/?animal=hydra",
        headers: { version: "four" },
        backend: V3,
      },
    ]);
  });

  await t.step("HTTPRouteMethodMatching: method, with other matches, precedence", async () => {
    await checkTable(port("methods"), [
      { rule: "POST", method: "POST", path: "/", backend: V1 },
      { rule: "GET", method: "GET", path: "/", backend: V2 },
      { rule: "HEAD is not GET", method: "HEAD", path: "/", status: 404 },
      { rule: "path AND method", method: "GET", path: "/path1", backend: V1 },
      {
        rule: "header AND method",
        method: "PUT",
        path: "/",
        headers: { version: "one" },
        backend: V2,
      },
      {
        rule: "path AND header AND method",
        method: "POST",
        path: "/path2",
        headers: { version: "two" },
        backend: V3,
      },
      { rule: "OR of ANDs: first", method: "PATCH", path: "/path3", backend: V1 },
      {
        rule: "OR of ANDs: second",
        method: "DELETE",
        path: "/path4",
        headers: { version: "three" },
        backend: V1,
      },
      { rule: "PUT without header: 404", method: "PUT", path: "/", status: 404 },
      { rule: "DELETE without header: 404", method: "DELETE", path: "/path4", status: 404 },
      { rule: "a longer path beats a method", method: "PATCH", path: "/path5", backend: V1 },
      {
        rule: "a method beats headers",
        method: "PATCH",
        path: "/",
        headers: { version: "four" },
        backend: V2,
      },
    ]);
  });

  await t.step("HTTPRouteMatchingAcrossRoutes: precedence spans the routes of a host", async () => {
    const p = port("across");
    await checkTable(p, [
      { rule: "part1 on example.com", host: "example.com", path: "/", backend: V1 },
      { rule: "part1 prefix", host: "example.com", path: "/example", backend: V1 },
      { rule: "part1 on example.net", host: "example.net", path: "/example", backend: V1 },
      {
        rule: "part1 header match",
        host: "example.com",
        path: "/example",
        headers: { Version: "one" },
        backend: V1,
      },
      { rule: "part2's longer prefix wins", host: "example.com", path: "/v2", backend: V2 },
      {
        rule: "part2 is limited to example.com",
        host: "example.net",
        path: "/v2",
        backend: V1,
      },
      { rule: "part2 prefix", host: "example.com", path: "/v2/example", backend: V2 },
      {
        rule: "part2's header match beats part1's bare prefix",
        host: "example.com",
        path: "/",
        headers: { Version: "two" },
        backend: V2,
      },
      { rule: "a host of no route: 404", host: "example.org", path: "/", status: 404 },
    ]);
  });

  await t.step("path and query string are forwarded unmodified", async () => {
    await checkTable(port("target"), [
      {
        rule: "query string forwarded byte for byte",
        path: "/prefix/a?b=1&c=%20x&c=2&empty=&flag",
        backend: V2,
      },
      {
        rule: "percent-encoded bytes keep their spelling",
        path: "/prefix/a%2Fb/%7Euser?q=%2F",
        backend: V2,
      },
      { rule: "repeated query keys kept in order", path: "/prefix/?z=1&a=2&z=3", backend: V2 },
      { rule: "PathPrefix /prefix/ matches /prefix", path: "/prefix", backend: V2 },
      { rule: "PathPrefix /prefix/ matches /prefix/", path: "/prefix/", backend: V2 },
      { rule: "PathPrefix /prefix/ does not match /prefixed", path: "/prefixed", status: 404 },
      { rule: "Exact /exact beats PathPrefix /exact", path: "/exact", backend: V1 },
      { rule: "Exact ignores the query string", path: "/exact?x=1", backend: V1 },
      { rule: "PathPrefix /exact matches /exact/", path: "/exact/", backend: V3 },
      { rule: "RegularExpression matches the whole path", path: "/re/42", backend: V1 },
      { rule: "RegularExpression is anchored at the end", path: "/re/42/x", status: 404 },
      { rule: "RegularExpression is anchored at the start", path: "/x/re/42", status: 404 },
    ]);
  });

  await t.step("ties across routes: age, then namespace/name, then rule order", async () => {
    await checkTable(port("ties"), [
      { rule: "the oldest route wins a tie, whatever its name", path: "/tie", backend: V1 },
      { rule: "same age: alphabetical namespace/name", path: "/alpha", backend: V1 },
      { rule: "within a route: the first matching rule", path: "/rules", backend: V2 },
    ]);
  });

  await t.step("route hostnames: the most specific matching hostname's route first", async () => {
    await checkTable(port("ties"), [
      { rule: "exact route hostname", host: "foo.example.com", path: "/only-exact", backend: V1 },
      {
        rule: "an exact hostname's rules come before a wildcard's longer path",
        host: "foo.example.com",
        path: "/only-exact/deeper",
        backend: V1,
      },
      {
        rule: "no rule of the exact hostname matches: the wildcard route is next",
        host: "foo.example.com",
        path: "/other",
        backend: V2,
      },
      {
        rule: "a wildcard hostname's route comes before a route without hostnames",
        host: "foo.example.com",
        path: "/any",
        backend: V2,
      },
      {
        rule: "the wildcard with more characters first",
        host: "x.foo.example.com",
        path: "/only-exact",
        backend: V3,
      },
      {
        rule: "a route without hostnames serves other hosts",
        host: "bar.other.com",
        path: "/any",
        backend: V3,
      },
      { rule: "nothing else for other hosts", host: "bar.other.com", path: "/tiex", status: 404 },
    ]);
  });
});
