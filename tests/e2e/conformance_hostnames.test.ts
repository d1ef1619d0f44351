/**
 * Conformance tables for hostnames through the real gateway process: route and
 * listener hostname intersection (HTTPRouteHostnameIntersection), listener
 * hostname matching (HTTPRouteListenerHostnameMatching), listener isolation
 * (GatewayHTTPListenerIsolation, with and without route hostnames), the port
 * of the Host header, and the statuses the suite checks on these Gateways.
 */
import { assertEquals } from "@std/assert";
import {
  checkTable,
  conditionSummary,
  GATEWAY_CLASS_YAML,
  INFRA,
  serviceYaml,
  startFixture,
  statusOf,
} from "./_conformance.ts";

const V1 = "infra-backend-v1";
const V2 = "infra-backend-v2";
const V3 = "infra-backend-v3";

/** A Gateway whose listeners all share `port`: `[name, hostname?]` each. */
function gateway(name: string, port: number, listeners: [string, string?][], from = "Same") {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: ${name}, namespace: ${INFRA} }
spec:
  gatewayClassName: conformance
  listeners:
${
    listeners.map(([l, hostname]) =>
      `    - name: ${l}
      port: ${port}
      protocol: HTTP
${
        hostname
          ? `      hostname: "${hostname}"\n`
          : ""
      }      allowedRoutes: { namespaces: { from: ${from} } }`
    ).join("\n")
  }
`;
}

/** An HTTPRoute with parentRefs `[gateway, sectionName?]`, hostnames, and one rule. */
function route(
  name: string,
  parents: [string, string?][],
  hostnames: string[],
  prefix: string | undefined,
  backend: string,
): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: ${name}, namespace: ${INFRA} }
spec:
  parentRefs:
${
    parents.map(([g, section]) =>
      `    - { name: ${g}, namespace: ${INFRA}${section ? `, sectionName: ${section}` : ""} }`
    ).join("\n")
  }
  hostnames: [${hostnames.map((h) => JSON.stringify(h)).join(", ")}]
  rules:
    - ${
    prefix ? `matches: [{ path: { type: PathPrefix, value: ${prefix} } }]\n      ` : ""
  }backendRefs: [{ name: ${backend}, port: 8080 }]
`;
}

const ISOLATION_LISTENERS: [string, string?][] = [
  ["empty-hostname"],
  ["wildcard-example-com", "*.example.com"],
  ["wildcard-foo-example-com", "*.foo.example.com"],
  ["abc-foo-example-com", "abc.foo.example.com"],
];

Deno.test("conformance: hostname intersection, listener hostnames and isolation", async (t) => {
  await using f = await startFixture({
    gatewayPorts: 8,
    backends: [`${INFRA}/${V1}`, `${INFRA}/${V2}`, `${INFRA}/${V3}`],
    manifests: (ports, backendPort) => {
      const [intersection, all, listenerHosts, isolation, isolationHosts, p1, p2, p3] = ports;
      const portRoute = (name: string, port: number, backend: string, section?: string) =>
        route(name, [["httproute-listener-port-matching", section]], [], undefined, backend)
          .replace(
            "name: httproute-listener-port-matching,",
            `name: httproute-listener-port-matching, port: ${port},`,
          );
      return {
        "ports.yaml": [
          `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: httproute-listener-port-matching, namespace: ${INFRA} }
spec:
  gatewayClassName: conformance
  listeners:
${
            [[1, p1, "foo.com"], [2, p2, "foo.com"], [3, p2, "bar.com"], [4, p3, "foo.com"], [
              5,
              p3,
              "bar.com",
            ]]
              .map(([i, port, host]) =>
                `    - { name: listener-${i}, port: ${port}, protocol: HTTP, hostname: ${host}, allowedRoutes: { namespaces: { from: Same } } }`
              ).join("\n")
          }
`,
          portRoute("port-backend-v1", p1, V1),
          portRoute("port-backend-v2", p2, V2),
          portRoute("port-backend-v3", p3, V3, "listener-4"),
        ].join("---\n"),
        "class.yaml": GATEWAY_CLASS_YAML,
        "services.yaml": [V1, V2, V3].map((s) =>
          serviceYaml(INFRA, s, backendPort(`${INFRA}/${s}`))
        ).join("---\n"),
        "intersection.yaml": [
          gateway("httproute-hostname-intersection", intersection, [
            ["listener-1", "very.specific.com"],
            ["listener-2", "*.wildcard.io"],
            ["listener-3", "*.anotherwildcard.io"],
          ]),
          gateway("httproute-hostname-intersection-all", all, [["listener-1"]]),
          route(
            "specific-host-matches-listener-specific-host",
            [[
              "httproute-hostname-intersection",
            ]],
            ["non.matching.com", "*.nonmatchingwildcard.io", "very.specific.com"],
            "/s1",
            V1,
          ),
          route(
            "specific-host-matches-listener-wildcard-host",
            [["httproute-hostname-intersection"]],
            [
              "non.matching.com",
              "wildcard.io",
              "foo.wildcard.io",
              "bar.wildcard.io",
              "foo.bar.wildcard.io",
            ],
            "/s2",
            V2,
          ),
          route(
            "wildcard-host-matches-listener-specific-host",
            [[
              "httproute-hostname-intersection",
            ]],
            ["non.matching.com", "*.specific.com"],
            "/s3",
            V3,
          ),
          route(
            "wildcard-host-matches-listener-wildcard-host",
            [[
              "httproute-hostname-intersection",
            ]],
            ["*.anotherwildcard.io"],
            "/s4",
            V1,
          ),
          route(
            "no-intersecting-hosts",
            [["httproute-hostname-intersection"]],
            [
              "specific.but.wrong.com",
              "wildcard.io",
            ],
            "/s5",
            V2,
          ),
          route(
            "httproute-hostname-intersection-all",
            [[
              "httproute-hostname-intersection-all",
            ]],
            ["first.com", "sub.first.com", "second.com", "sub.second.com"],
            undefined,
            V2,
          ),
        ].join("---\n"),
        "listener-hostnames.yaml": [
          gateway("httproute-listener-hostname-matching", listenerHosts, [
            ["listener-1", "bar.com"],
            ["listener-2", "foo.bar.com"],
            ["listener-3", "*.bar.com"],
            ["listener-4", "*.foo.com"],
          ]),
          route(
            "backend-v1",
            [["httproute-listener-hostname-matching", "listener-1"]],
            [],
            undefined,
            V1,
          ),
          route(
            "backend-v2",
            [["httproute-listener-hostname-matching", "listener-2"]],
            [],
            undefined,
            V2,
          ),
          route(
            "backend-v3",
            [
              ["httproute-listener-hostname-matching", "listener-3"],
              ["httproute-listener-hostname-matching", "listener-4"],
            ],
            [],
            undefined,
            V3,
          ),
        ].join("---\n"),
        "isolation.yaml": [
          gateway("http-listener-isolation", isolation, ISOLATION_LISTENERS, "All"),
          ...ISOLATION_LISTENERS.map(([l]) =>
            route(`attaches-to-${l}`, [["http-listener-isolation", l]], [], `/${l}`, V1)
          ),
          gateway(
            "http-listener-isolation-with-hostname-intersection",
            isolationHosts,
            ISOLATION_LISTENERS,
            "All",
          ),
          ...ISOLATION_LISTENERS.map(([l]) =>
            route(
              `attaches-to-${l}-with-hostname-intersection`,
              [["http-listener-isolation-with-hostname-intersection", l]],
              ["bar.com", "*.example.com", "*.foo.example.com"],
              `/${l}`,
              V1,
            )
          ),
        ].join("---\n"),
      };
    },
  });
  const [intersection, all, listenerHosts, isolation, isolationHosts, p1, p2, p3] = f.ports;

  await t.step("HTTPRouteHostnameIntersection: routes that intersect", async () => {
    await checkTable(intersection, [
      // specific-host-matches-listener-specific-host
      { rule: "route host = listener host", host: "very.specific.com", path: "/s1", backend: V1 },
      {
        rule: "the Host header's port is not part of hostname matching",
        host: "very.specific.com:1234",
        path: "/s1",
        backend: V1,
      },
      { rule: "route-only host is not served", host: "non.matching.com", path: "/s1", status: 404 },
      {
        rule: "route wildcard outside every listener",
        host: "foo.nonmatchingwildcard.io",
        path: "/s1",
        status: 404,
      },
      {
        rule: "s1 is not on the wildcard listener",
        host: "foo.wildcard.io",
        path: "/s1",
        status: 404,
      },
      {
        rule: "path outside the rule",
        host: "very.specific.com",
        path: "/non-matching-prefix",
        status: 404,
      },
      // specific-host-matches-listener-wildcard-host
      {
        rule: "route host inside listener wildcard",
        host: "foo.wildcard.io",
        path: "/s2",
        backend: V2,
      },
      {
        rule: "route host inside listener wildcard",
        host: "bar.wildcard.io",
        path: "/s2",
        backend: V2,
      },
      {
        rule: "a wildcard covers several labels",
        host: "foo.bar.wildcard.io",
        path: "/s2",
        backend: V2,
      },
      { rule: "non-intersecting route host", host: "non.matching.com", path: "/s2", status: 404 },
      {
        rule: "a wildcard does not match its own suffix",
        host: "wildcard.io",
        path: "/s2",
        status: 404,
      },
      { rule: "s2 is not on listener-1", host: "very.specific.com", path: "/s2", status: 404 },
      {
        rule: "path outside the rule",
        host: "foo.wildcard.io",
        path: "/non-matching-prefix",
        status: 404,
      },
      // wildcard-host-matches-listener-specific-host
      {
        rule: "route wildcard covers listener host",
        host: "very.specific.com",
        path: "/s3",
        backend: V3,
      },
      { rule: "non-intersecting route host", host: "non.matching.com", path: "/s3", status: 404 },
      {
        rule: "the intersection is the listener host only",
        host: "foo.specific.com",
        path: "/s3",
        status: 404,
      },
      {
        rule: "s3 is not on the wildcard listener",
        host: "foo.wildcard.io",
        path: "/s3",
        status: 404,
      },
      // wildcard-host-matches-listener-wildcard-host
      { rule: "wildcard = wildcard", host: "foo.anotherwildcard.io", path: "/s4", backend: V1 },
      { rule: "wildcard = wildcard", host: "bar.anotherwildcard.io", path: "/s4", backend: V1 },
      {
        rule: "wildcard, two labels",
        host: "foo.bar.anotherwildcard.io",
        path: "/s4",
        backend: V1,
      },
      { rule: "wildcard excludes the apex", host: "anotherwildcard.io", path: "/s4", status: 404 },
      { rule: "s4 only on listener-3", host: "foo.wildcard.io", path: "/s4", status: 404 },
      { rule: "s4 only on listener-3", host: "very.specific.com", path: "/s4", status: 404 },
      // no-intersecting-hosts
      {
        rule: "an unattached route serves nothing",
        host: "specific.but.wrong.com",
        path: "/s5",
        status: 404,
      },
      { rule: "an unattached route serves nothing", host: "wildcard.io", path: "/s5", status: 404 },
      // Host header spelling
      {
        rule: "hostnames match case-insensitively",
        host: "Very.Specific.COM",
        path: "/s1",
        backend: V1,
        backendHost: "Very.Specific.COM",
      },
      {
        rule: "the Host header (port included) is forwarded unmodified",
        host: "foo.wildcard.io:8443",
        path: "/s2",
        backend: V2,
        backendHost: "foo.wildcard.io:8443",
      },
      {
        rule: "a fully qualified Host (trailing dot) names the same host",
        host: "very.specific.com.",
        path: "/s1",
        backend: V1,
      },
    ]);
  });

  await t.step("HTTPRouteHostnameIntersection: a listener without hostname", async () => {
    await checkTable(all, [
      { rule: "route hostname on a listener with none", host: "first.com", path: "/", backend: V2 },
      { rule: "route hostname", host: "sub.first.com", path: "/", backend: V2 },
      { rule: "route hostname", host: "second.com", path: "/", backend: V2 },
      { rule: "route hostname", host: "sub.second.com", path: "/", backend: V2 },
      { rule: "a host the route does not list", host: "third.com", path: "/", status: 404 },
      { rule: "a host the route does not list", host: "sub.third.com", path: "/", status: 404 },
    ]);
  });

  await t.step("HTTPRouteListenerHostnameMatching: the most specific listener wins", async () => {
    await checkTable(listenerHosts, [
      { rule: "exact listener bar.com", host: "bar.com", path: "/", backend: V1 },
      { rule: "exact beats *.bar.com", host: "foo.bar.com", path: "/", backend: V2 },
      { rule: "wildcard *.bar.com", host: "baz.bar.com", path: "/", backend: V3 },
      { rule: "wildcard *.bar.com", host: "boo.bar.com", path: "/", backend: V3 },
      {
        rule: "wildcard with more labels",
        host: "multiple.prefixes.bar.com",
        path: "/",
        backend: V3,
      },
      {
        rule: "second parentRef *.foo.com",
        host: "multiple.prefixes.foo.com",
        path: "/",
        backend: V3,
      },
      { rule: "*.foo.com excludes foo.com", host: "foo.com", path: "/", status: 404 },
      { rule: "no listener for the host", host: "no.matching.host", path: "/", status: 404 },
    ]);
  });

  for (
    const [label, port] of [["route hostnames unset", isolation], [
      "route hostnames intersecting",
      isolationHosts,
    ]] as const
  ) {
    await t.step(`GatewayHTTPListenerIsolation (${label})`, async () => {
      const rows = [
        ["bar.com", "empty-hostname"],
        ["bar.example.com", "wildcard-example-com"],
        ["bar.foo.example.com", "wildcard-foo-example-com"],
        ["abc.foo.example.com", "abc-foo-example-com"],
      ] as const;
      await checkTable(
        port,
        rows.flatMap(([host, owner]) =>
          ISOLATION_LISTENERS.map(([l]) =>
            l === owner
              ? { rule: `${host} belongs to listener ${l}`, host, path: `/${l}`, backend: V1 }
              : {
                rule: `${host}: routes of listener ${l} are isolated`,
                host,
                path: `/${l}`,
                status: 404,
              }
          )
        ),
      );
    });
  }

  await t.step("HTTPRouteListenerPortMatching: parentRef port selects listeners", async () => {
    await checkTable(p1, [{ rule: "port of listener-1", host: "foo.com", path: "/", backend: V1 }]);
    await checkTable(p2, [
      { rule: "port selects listener-2", host: `foo.com:${p2}`, path: "/", backend: V2 },
      { rule: "and listener-3 on the same port", host: `bar.com:${p2}`, path: "/", backend: V2 },
    ]);
    await checkTable(p3, [
      { rule: "port and sectionName: listener-4", host: `foo.com:${p3}`, path: "/", backend: V3 },
      { rule: "listener-5 is not selected", host: `bar.com:${p3}`, path: "/", status: 404 },
    ]);
  });

  await t.step("statuses: attachedRoutes counts Accepted routes only", async () => {
    const config = await f.config();
    const gw = statusOf(config, "Gateway", INFRA, "httproute-hostname-intersection");
    assertEquals(
      gw.listeners?.map((l) => [l.name, l.attachedRoutes]),
      [["listener-1", 2], ["listener-2", 1], ["listener-3", 1]],
    );
    for (const listener of gw.listeners ?? []) {
      assertEquals(listener.supportedKinds, [
        { group: "gateway.networking.k8s.io", kind: "HTTPRoute" },
        { group: "gateway.networking.k8s.io", kind: "GRPCRoute" },
      ]);
      const summary = conditionSummary(listener.conditions);
      for (const want of ["Accepted=True", "ResolvedRefs=True", "Programmed=True"]) {
        assertEquals(summary.some((c) => c.startsWith(want)), true, `${listener.name}: ${summary}`);
      }
    }
    const summary = conditionSummary(gw.conditions);
    assertEquals(summary.includes("Accepted=True/Accepted"), true, String(summary));
    assertEquals(summary.includes("Programmed=True/Programmed"), true, String(summary));

    const rejected = statusOf(config, "HTTPRoute", INFRA, "no-intersecting-hosts");
    assertEquals(rejected.parents?.length, 1);
    assertEquals(rejected.parents?.[0].controllerName, "gateway.serval.dev/controller");
    assertEquals(rejected.parents?.[0].parentRef, {
      group: "gateway.networking.k8s.io",
      kind: "Gateway",
      namespace: INFRA,
      name: "httproute-hostname-intersection",
    });
    assertEquals(
      conditionSummary(rejected.parents?.[0].conditions).filter((c) => c.startsWith("Accepted")),
      ["Accepted=False/NoMatchingListenerHostname"],
    );

    const both = statusOf(config, "HTTPRoute", INFRA, "backend-v3");
    assertEquals(
      both.parents?.map((p) => [p.parentRef.sectionName, conditionSummary(p.conditions)]),
      [
        ["listener-3", ["Accepted=True/Accepted", "ResolvedRefs=True/ResolvedRefs"]],
        ["listener-4", ["Accepted=True/Accepted", "ResolvedRefs=True/ResolvedRefs"]],
      ],
    );
    const isolated = statusOf(config, "Gateway", INFRA, "http-listener-isolation");
    assertEquals(isolated.listeners?.map((l) => l.attachedRoutes), [1, 1, 1, 1]);
  });
});
