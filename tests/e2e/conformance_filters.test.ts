/**
 * Conformance tables for HTTPRoute filters that reach a backend, through the
 * real gateway process: RequestHeaderModifier, ResponseHeaderModifier
 * (set/add/remove; `add` appends with a comma; names case-insensitive),
 * URLRewrite hostname and path (HTTPRouteRewriteHost, HTTPRouteRewritePath,
 * and the ReplacePrefixMatch table of `HTTPPathModifier`), backendRef-level
 * header filters.
 */
import { assertEquals } from "@std/assert";
import {
  type Case,
  checkTable,
  GATEWAY_CLASS_YAML,
  headerValue,
  INFRA,
  send,
  serviceYaml,
  simpleGatewayYaml,
  startFixture,
} from "./_conformance.ts";

const V1 = "infra-backend-v1";
const V2 = "infra-backend-v2";

function route(name: string, spec: string): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: ${name}, namespace: ${INFRA} }
spec:
  parentRefs: [{ name: filters }]
${spec.replace(/^/gm, "  ").trimEnd()}
`;
}

const MULTIPLE =
  `set: [{ name: X-Header-Set-1, value: header-set-1 }, { name: X-Header-Set-2, value: header-set-2 }]
add:
  - { name: X-Header-Add-1, value: header-add-1 }
  - { name: X-Header-Add-2, value: header-add-2 }
  - { name: X-Header-Add-3, value: header-add-3 }
remove: [X-Header-Remove-1, X-Header-Remove-2]`;

const REQUEST_COMBO = `set: [{ name: X-Header-Set, value: set-overwrites-values }]
add: [{ name: X-Header-Add, value: header-val-1 }, { name: X-Header-Add-Append, value: header-val-2 }]
remove: [X-Header-Remove]`;

const indent = (text: string, n: number) => text.replace(/^/gm, " ".repeat(n)).trimStart();

/** A rule on PathPrefix `prefix` with filters (raw YAML list items) to `backend`. */
function rule(prefix: string, filters: string, backend = V1): string {
  return `  - matches: [{ path: { type: PathPrefix, value: ${prefix} } }]
    filters:
${filters.replace(/^/gm, "      ").trimEnd()}
    backendRefs: [{ name: ${backend}, port: 8080 }]`;
}

const reqMod = (body: string) =>
  `- type: RequestHeaderModifier\n  requestHeaderModifier:\n    ${indent(body, 4)}`;
const resMod = (body: string) =>
  `- type: ResponseHeaderModifier\n  responseHeaderModifier:\n    ${indent(body, 4)}`;
const prefixRewrite = (value: string) =>
  `- type: URLRewrite\n  urlRewrite:\n    path: { type: ReplacePrefixMatch, replacePrefixMatch: "${value}" }`;

const ROUTES = [
  route(
    "request-header-modifier",
    `hostnames: [req.example]
rules:
${rule("/set", reqMod("set: [{ name: X-Header-Set, value: set-overwrites-values }]"))}
${rule("/add", reqMod("add: [{ name: X-Header-Add, value: add-appends-values }]"))}
${rule("/remove", reqMod("remove: [X-Header-Remove]"))}
${rule("/multiple", reqMod(MULTIPLE))}
${
      rule(
        "/case-insensitivity",
        reqMod(`set: [{ name: X-Header-Set, value: header-set }]
add: [{ name: X-Header-Add, value: header-add }]
remove: [X-Header-Remove]`),
      )
    }`,
  ),
  route(
    "response-header-modifier",
    `hostnames: [res.example]
rules:
${rule("/set", resMod("set: [{ name: X-Header-Set, value: set-overwrites-values }]"))}
${rule("/add", resMod("add: [{ name: X-Header-Add, value: add-appends-values }]"))}
${rule("/remove", resMod("remove: [X-Header-Remove]"))}
${rule("/multiple", resMod(MULTIPLE))}
${
      rule(
        "/case-insensitivity",
        resMod(`set: [{ name: X-Header-Set, value: header-set }]
add:
  - { name: X-Header-Add, value: header-add }
  - { name: x-lowercase-add, value: lowercase-add }
  - { name: x-Mixedcase-ADD-1, value: mixedcase-add-1 }
  - { name: X-mixeDcase-add-2, value: mixedcase-add-2 }
  - { name: X-UPPERCASE-ADD, value: uppercase-add }
remove: [X-Header-Remove]`),
      )
    }
${
      rule(
        "/response-and-request-header-modifiers",
        `${
          resMod(
            `set: [{ name: X-Header-Set-1, value: header-set-1 }, { name: X-Header-Set-2, value: header-set-2 }]
add: [{ name: X-Header-Add-1, value: header-add-1 }, { name: X-Header-Add-2, value: header-add-2 }]
remove: [X-Header-Remove-1, X-Header-Remove-2]`,
          )
        }\n${reqMod(REQUEST_COMBO)}`,
      )
    }`,
  ),
  route(
    "rewrite-host",
    `hostnames: [rewrite.example]
rules:
${rule("/one", "- type: URLRewrite\n  urlRewrite: { hostname: one.example.org }")}
  - filters: [{ type: URLRewrite, urlRewrite: { hostname: example.org } }]
    backendRefs: [{ name: ${V2}, port: 8080 }]
${
      rule(
        "/rewrite-host-and-modify-headers",
        `- type: URLRewrite\n  urlRewrite: { hostname: test.example.org }\n${
          reqMod(REQUEST_COMBO)
        }`,
        V2,
      )
    }`,
  ),
  route(
    "rewrite-path",
    `hostnames: [path.example]
rules:
${rule("/prefix/one", prefixRewrite("/one"))}
${rule("/strip-prefix", prefixRewrite("/"))}
${
      rule(
        "/full/one",
        "- type: URLRewrite\n  urlRewrite:\n    path: { type: ReplaceFullPath, replaceFullPath: /one }",
      )
    }
${
      rule(
        "/full/rewrite-path-and-modify-headers",
        `- type: URLRewrite\n  urlRewrite:\n    path: { type: ReplaceFullPath, replaceFullPath: /test }\n${
          reqMod(REQUEST_COMBO)
        }`,
      )
    }
${
      rule(
        "/prefix/rewrite-path-and-modify-headers",
        `${prefixRewrite("/prefix")}\n${reqMod(REQUEST_COMBO)}`,
      )
    }`,
  ),
  // The ReplacePrefixMatch table of HTTPPathModifier: one host per (prefix, replacement).
  ...[["/foo", "/xyz"], ["/foo", "/xyz/"], ["/foo/", "/xyz"], ["/foo/", "/xyz/"], ["/foo", ""], [
    "/foo",
    "/",
  ], ["/", "/xyz"]].map(([prefix, replacement], i) =>
    route(
      `replace-prefix-${i}`,
      `hostnames: [prefix-${i}.example]
rules:
${rule(prefix, prefixRewrite(replacement))}`,
    )
  ),
  route(
    "backend-header-modifier",
    `hostnames: [backend.example]
rules:
  - backendRefs:
      - name: ${V1}
        port: 8080
        filters:
          - type: RequestHeaderModifier
            requestHeaderModifier: { add: [{ name: X-Backend, value: v1 }] }
          - type: ResponseHeaderModifier
            responseHeaderModifier: { set: [{ name: X-Answered-By, value: v1 }] }`,
  ),
  route(
    "request-header-modifier-backend-weights",
    `hostnames: [weights.example]
rules:
  - backendRefs:
${
      [V1, V2].map((b) =>
        `      - name: ${b}
        port: 8080
        weight: 10
        filters:
          - type: RequestHeaderModifier
            requestHeaderModifier: { set: [{ name: Backend, value: ${b} }] }`
      ).join("\n")
    }`,
  ),
].join("---\n");

Deno.test("conformance: header modifiers and URL rewrites reach the backend as the spec says", async (t) => {
  await using f = await startFixture({
    gatewayPorts: 1,
    backends: [`${INFRA}/${V1}`, `${INFRA}/${V2}`],
    manifests: (ports, backendPort) => ({
      "class.yaml": GATEWAY_CLASS_YAML,
      "gateway.yaml": simpleGatewayYaml("filters", ports[0]),
      "services.yaml": [V1, V2].map((s) => serviceYaml(INFRA, s, backendPort(`${INFRA}/${s}`)))
        .join("---\n"),
      "routes.yaml": ROUTES,
    }),
  });
  const port = f.ports[0];

  await t.step("HTTPRouteRequestHeaderModifier", async () => {
    const host = "req.example";
    await checkTable(port, [
      {
        rule: "set adds a missing header",
        host,
        path: "/set",
        headers: { "Some-Other-Header": "val" },
        backend: V1,
        backendHeaders: { "Some-Other-Header": "val", "X-Header-Set": "set-overwrites-values" },
      },
      {
        rule: "set overwrites an existing header",
        host,
        path: "/set",
        headers: { "Some-Other-Header": "val", "X-Header-Set": "some-other-value" },
        backend: V1,
        backendHeaders: { "X-Header-Set": "set-overwrites-values" },
      },
      {
        rule: "add creates a missing header",
        host,
        path: "/add",
        headers: { "Some-Other-Header": "val" },
        backend: V1,
        backendHeaders: { "Some-Other-Header": "val", "X-Header-Add": "add-appends-values" },
      },
      {
        rule: "add appends to an existing header with a comma",
        host,
        path: "/add",
        headers: { "X-Header-Add": "some-other-value" },
        backend: V1,
        backendHeaders: { "X-Header-Add": "some-other-value,add-appends-values" },
      },
      {
        // Two lines are one comma-separated list; the space Headers puts between
        // the client's own values is not the filter's business, so it is ignored.
        rule: "add appends to every existing line",
        ignoreWhitespace: true,
        host,
        path: "/add",
        headers: { "X-Header-Add": ["a", "b"] },
        backend: V1,
        backendHeaders: { "X-Header-Add": "a,b,add-appends-values" },
      },
      {
        rule: "remove deletes the header",
        host,
        path: "/remove",
        headers: { "X-Header-Remove": "val" },
        backend: V1,
        backendAbsent: ["X-Header-Remove"],
      },
      {
        rule: "set, add and remove of several headers at once",
        host,
        path: "/multiple",
        headers: {
          "X-Header-Set-2": "set-val-2",
          "X-Header-Add-2": "add-val-2",
          "X-Header-Remove-2": "remove-val-2",
          "Another-Header": "another-header-val",
        },
        backend: V1,
        backendHeaders: {
          "X-Header-Set-1": "header-set-1",
          "X-Header-Set-2": "header-set-2",
          "X-Header-Add-1": "header-add-1",
          "X-Header-Add-2": "add-val-2,header-add-2",
          "X-Header-Add-3": "header-add-3",
          "Another-Header": "another-header-val",
        },
        backendAbsent: ["X-Header-Remove-1", "X-Header-Remove-2"],
      },
      {
        rule: "filter header names match request names case-insensitively",
        host,
        path: "/case-insensitivity",
        headers: {
          "x-header-set": "original-val-set",
          "x-header-add": "original-val-add",
          "x-header-remove": "original-val-remove",
          "Another-Header": "another-header-val",
        },
        backend: V1,
        backendHeaders: {
          "X-Header-Set": "header-set",
          "X-Header-Add": "original-val-add,header-add",
          "Another-Header": "another-header-val",
        },
        backendAbsent: ["x-header-remove"],
      },
    ]);
  });

  await t.step("HTTPRouteResponseHeaderModifier", async () => {
    const host = "res.example";
    await checkTable(port, [
      {
        rule: "set adds a missing response header",
        host,
        path: "/set",
        backendSets: { "Some-Other-Header": "val" },
        backend: V1,
        responseHeaders: { "Some-Other-Header": "val", "X-Header-Set": "set-overwrites-values" },
      },
      {
        rule: "set overwrites a response header",
        host,
        path: "/set",
        backendSets: { "Some-Other-Header": "val", "X-Header-Set": "some-other-value" },
        backend: V1,
        responseHeaders: { "X-Header-Set": "set-overwrites-values" },
      },
      {
        rule: "add creates a missing response header",
        host,
        path: "/add",
        backendSets: { "Some-Other-Header": "val" },
        backend: V1,
        responseHeaders: { "X-Header-Add": "add-appends-values" },
      },
      {
        rule: "add appends to a response header with a comma",
        host,
        path: "/add",
        backendSets: { "X-Header-Add": "some-other-value" },
        backend: V1,
        responseHeaders: { "X-Header-Add": "some-other-value,add-appends-values" },
      },
      {
        rule: "remove deletes a response header",
        host,
        path: "/remove",
        backendSets: { "X-Header-Remove": "val" },
        backend: V1,
        responseAbsent: ["X-Header-Remove"],
      },
      {
        rule: "several response headers at once",
        host,
        path: "/multiple",
        backendSets: {
          "X-Header-Set-2": "set-val-2",
          "X-Header-Add-2": "add-val-2",
          "X-Header-Remove-2": "remove-val-2",
          "Another-Header": "another-header-val",
          "X-Header-Remove-1": "val",
        },
        backend: V1,
        responseHeaders: {
          "X-Header-Set-1": "header-set-1",
          "X-Header-Set-2": "header-set-2",
          "X-Header-Add-1": "header-add-1",
          "X-Header-Add-2": "add-val-2,header-add-2",
          "X-Header-Add-3": "header-add-3",
          "Another-Header": "another-header-val",
        },
        responseAbsent: ["X-Header-Remove-1", "X-Header-Remove-2"],
      },
      {
        rule: "response header names are case-insensitive",
        host,
        path: "/case-insensitivity",
        backendSets: {
          "x-header-set": "original-val-set",
          "x-header-add": "original-val-add",
          "x-header-remove": "original-val-remove",
          "Another-Header": "another-header-val",
        },
        backend: V1,
        responseHeaders: {
          "X-Header-Set": "header-set",
          "X-Header-Add": "original-val-add,header-add",
          "X-Lowercase-Add": "lowercase-add",
          "X-Mixedcase-Add-1": "mixedcase-add-1",
          "X-Mixedcase-Add-2": "mixedcase-add-2",
          "X-Uppercase-Add": "uppercase-add",
          "Another-Header": "another-header-val",
        },
        responseAbsent: ["X-Header-Remove"],
      },
      {
        rule: "request and response modifiers in one rule",
        host,
        path: "/response-and-request-header-modifiers",
        headers: {
          "X-Header-Remove": "remove-val",
          "X-Header-Add-Append": "append-val-1",
          "X-Header-Echo": "echo",
        },
        backendSets: {
          "X-Header-Set-2": "set-val-2",
          "X-Header-Add-2": "add-val-2",
          "X-Header-Remove-2": "remove-val-2",
          "Another-Header": "another-header-val",
          "X-Header-Remove-1": "remove-val-1",
          "X-Header-Echo": "echo",
        },
        backend: V1,
        backendHeaders: {
          "X-Header-Add": "header-val-1",
          "X-Header-Set": "set-overwrites-values",
          "X-Header-Add-Append": "append-val-1,header-val-2",
          "X-Header-Echo": "echo",
        },
        backendAbsent: ["X-Header-Remove"],
        responseHeaders: {
          "X-Header-Set-1": "header-set-1",
          "X-Header-Set-2": "header-set-2",
          "X-Header-Add-1": "header-add-1",
          "X-Header-Add-2": "add-val-2,header-add-2",
          "Another-Header": "another-header-val",
          "X-Header-Echo": "echo",
        },
        responseAbsent: ["X-Header-Remove-1", "X-Header-Remove-2"],
      },
    ]);
  });

  await t.step("HTTPRouteRewriteHost: the backend sees the rewritten Host", async () => {
    const host = "rewrite.example";
    await checkTable(port, [
      {
        rule: "URLRewrite hostname replaces Host",
        host,
        path: "/one",
        backend: V1,
        backendHost: "one.example.org",
      },
      {
        rule: "URLRewrite hostname on a rule without matches",
        host,
        path: "/two",
        backend: V2,
        backendHost: "example.org",
      },
      {
        rule: "URLRewrite hostname with a header modifier",
        host,
        path: "/rewrite-host-and-modify-headers",
        headers: { "X-Header-Remove": "remove-val", "X-Header-Add-Append": "append-val-1" },
        backend: V2,
        backendHost: "test.example.org",
        backendHeaders: {
          "X-Header-Add": "header-val-1",
          "X-Header-Add-Append": "append-val-1,header-val-2",
          "X-Header-Set": "set-overwrites-values",
        },
        backendAbsent: ["X-Header-Remove"],
      },
      {
        rule: "the rewritten Host drops the client's port",
        host: "rewrite.example:9999",
        path: "/one",
        backend: V1,
        backendHost: "one.example.org",
      },
    ]);
  });

  await t.step("HTTPRouteRewritePath: ReplacePrefixMatch and ReplaceFullPath", async () => {
    const host = "path.example";
    const combo = {
      headers: {
        "X-Header-Remove": "remove-val",
        "X-Header-Add-Append": "append-val-1",
        "X-Header-Set": "set-val",
      },
      backendHeaders: {
        "X-Header-Add": "header-val-1",
        "X-Header-Add-Append": "append-val-1,header-val-2",
        "X-Header-Set": "set-overwrites-values",
      },
      backendAbsent: ["X-Header-Remove"],
    };
    await checkTable(port, [
      {
        rule: "prefix /prefix/one → /one",
        host,
        path: "/prefix/one/two",
        backend: V1,
        target: "/one/two",
      },
      {
        rule: "prefix → / strips it",
        host,
        path: "/strip-prefix/three",
        backend: V1,
        target: "/three",
      },
      {
        rule: "stripping the whole path leaves /",
        host,
        path: "/strip-prefix",
        backend: V1,
        target: "/",
      },
      {
        rule: "stripping keeps the query string",
        host,
        path: "/strip-prefix/three?a=1&b=%20",
        backend: V1,
        target: "/three?a=1&b=%20",
      },
      {
        rule: "a trailing slash after the stripped prefix stays",
        host,
        path: "/strip-prefix/",
        backend: V1,
        target: "/",
      },
      { rule: "ReplaceFullPath", host, path: "/full/one/two", backend: V1, target: "/one" },
      {
        rule: "ReplaceFullPath keeps the query string",
        host,
        path: "/full/one/two?x=y",
        backend: V1,
        target: "/one?x=y",
      },
      {
        rule: "ReplaceFullPath with a header modifier",
        host,
        path: "/full/rewrite-path-and-modify-headers/test",
        backend: V1,
        target: "/test",
        ...combo,
      },
      {
        rule: "ReplacePrefixMatch with a header modifier",
        host,
        path: "/prefix/rewrite-path-and-modify-headers/one",
        backend: V1,
        target: "/prefix/one",
        ...combo,
      },
    ]);
  });

  await t.step("HTTPPathModifier ReplacePrefixMatch table", async () => {
    // [route index, request path, modified path], from the spec's table.
    const rows: [number, string, string][] = [
      [0, "/foo/bar", "/xyz/bar"],
      [1, "/foo/bar", "/xyz/bar"],
      [2, "/foo/bar", "/xyz/bar"],
      [3, "/foo/bar", "/xyz/bar"],
      [0, "/foo", "/xyz"],
      [0, "/foo/", "/xyz/"],
      [4, "/foo/bar", "/bar"],
      [4, "/foo/", "/"],
      [4, "/foo", "/"],
      [5, "/foo/", "/"],
      [5, "/foo", "/"],
      // Prefix "/" ("a trailing / is ignored": the empty prefix) keeps the rest.
      [6, "/bar", "/xyz/bar"],
    ];
    await checkTable(
      port,
      rows.map(([i, path, target]): Case => ({
        rule: `ReplacePrefixMatch row: ${path} on route ${i} → ${target}`,
        host: `prefix-${i}.example`,
        path,
        backend: V1,
        target,
      })),
    );
  });

  await t.step(
    "HTTPRouteRequestHeaderModifierBackendWeights: each backend its own filter",
    async () => {
      const seen = new Set<string>();
      for (let i = 0; i < 4; i++) {
        const sent = await Promise.all(
          Array.from(
            { length: 10 },
            () => send(port, { rule: "weights", host: "weights.example", path: "/" }),
          ),
        );
        for (const { echo, response } of sent) {
          assertEquals(response.status, 200);
          // The backend chosen and the filter applied must be the same backendRef's.
          assertEquals(headerValue(echo?.headers ?? [], "Backend"), echo?.name);
          seen.add(echo?.name ?? "");
        }
      }
      assertEquals([...seen].sort(), [V1, V2]);
    },
  );

  await t.step("backendRef filters apply to that backend's requests and responses", async () => {
    await checkTable(port, [
      {
        rule: "backendRef RequestHeaderModifier",
        host: "backend.example",
        path: "/",
        headers: { "X-Backend": "client" },
        backend: V1,
        backendHeaders: { "X-Backend": "client,v1" },
        responseHeaders: { "X-Answered-By": "v1" },
      },
    ]);
  });
});
