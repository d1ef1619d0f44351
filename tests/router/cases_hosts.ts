/**
 * Router cases: listener selection, listener isolation, hostname intersection, virtual hosts.
 * @module
 */
import { exact, gatewayConfig, prefix, route } from "./builders.ts";
import { c, type RouteScenario } from "./case_types.ts";

export const hostScenarios: RouteScenario[] = [
  {
    name: "Hostname intersection between listeners and routes",
    config: gatewayConfig([
      {
        name: "intersection/listener-1",
        hostname: "very.specific.com",
        virtualHosts: {
          "very.specific.com": [
            route("specific-host-matches-listener-specific-host", {
              matches: [{ path: prefix("/s1") }],
            }),
            // `*.specific.com` on the route intersects to the listener's host.
            route("wildcard-host-matches-listener-specific-host", {
              matches: [{ path: prefix("/s3") }],
            }),
          ],
        },
      },
      {
        name: "intersection/listener-2",
        hostname: "*.wildcard.io",
        virtualHosts: Object.fromEntries(
          ["foo.wildcard.io", "bar.wildcard.io", "foo.bar.wildcard.io"].map((h) => [h, [
            route("specific-host-matches-listener-wildcard-host", {
              matches: [{ path: prefix("/s2") }],
            }),
          ]]),
        ),
      },
      {
        name: "intersection/listener-3",
        hostname: "*.anotherwildcard.io",
        virtualHosts: {
          "*.anotherwildcard.io": [
            route("wildcard-host-matches-listener-wildcard-host", {
              matches: [{ path: prefix("/s4") }],
            }),
          ],
        },
      },
      {
        name: "intersection-all/listener-1",
        port: 8080,
        virtualHosts: Object.fromEntries(
          ["first.com", "sub.first.com", "second.com", "sub.second.com"].map((h) => [h, [
            route("all", {}),
          ]]),
        ),
      },
    ]),
    cases: [
      c(
        "very.specific.com /s1",
        { host: "very.specific.com", path: "/s1" },
        "specific-host-matches-listener-specific-host/rule/0/match/0",
      ),
      c("non.matching.com /s1 has no route", { host: "non.matching.com", path: "/s1" }, null),
      c("foo.nonmatchingwildcard.io /s1 has no route", {
        host: "foo.nonmatchingwildcard.io",
        path: "/s1",
      }, null),
      c("foo.wildcard.io /s1 has no route (other listener)", {
        host: "foo.wildcard.io",
        path: "/s1",
      }, null),
      c("very.specific.com /non-matching-prefix", {
        host: "very.specific.com",
        path: "/non-matching-prefix",
      }, null),
      c(
        "foo.wildcard.io /s2",
        { host: "foo.wildcard.io", path: "/s2" },
        "specific-host-matches-listener-wildcard-host/rule/0/match/0",
      ),
      c(
        "bar.wildcard.io /s2",
        { host: "bar.wildcard.io", path: "/s2" },
        "specific-host-matches-listener-wildcard-host/rule/0/match/0",
      ),
      c(
        "foo.bar.wildcard.io /s2",
        { host: "foo.bar.wildcard.io", path: "/s2" },
        "specific-host-matches-listener-wildcard-host/rule/0/match/0",
      ),
      c("wildcard.io /s2: *.wildcard.io does not match wildcard.io", {
        host: "wildcard.io",
        path: "/s2",
      }, null),
      c("very.specific.com /s2 has no route", { host: "very.specific.com", path: "/s2" }, null),
      c(
        "very.specific.com /s3",
        { host: "very.specific.com", path: "/s3" },
        "wildcard-host-matches-listener-specific-host/rule/0/match/0",
      ),
      c("foo.specific.com /s3 has no listener", { host: "foo.specific.com", path: "/s3" }, null),
      c(
        "foo.anotherwildcard.io /s4",
        { host: "foo.anotherwildcard.io", path: "/s4" },
        "wildcard-host-matches-listener-wildcard-host/rule/0/match/0",
      ),
      c(
        "foo.bar.anotherwildcard.io /s4",
        { host: "foo.bar.anotherwildcard.io", path: "/s4" },
        "wildcard-host-matches-listener-wildcard-host/rule/0/match/0",
      ),
      c("anotherwildcard.io /s4 has no route", { host: "anotherwildcard.io", path: "/s4" }, null),
      c(
        "first.com on the listener without hostname",
        { port: 8080, host: "first.com" },
        "all/rule/0/match/0",
      ),
      c(
        "sub.second.com on the listener without hostname",
        { port: 8080, host: "sub.second.com" },
        "all/rule/0/match/0",
      ),
      c("third.com is not a route hostname", { port: 8080, host: "third.com" }, null),
      c("sub.third.com is not a route hostname", { port: 8080, host: "sub.third.com" }, null),
      c("a port without listeners has no route", {
        port: 9999,
        host: "very.specific.com",
        path: "/s1",
      }, null),
    ],
  },
  {
    name: "Listener hostname matching",
    config: gatewayConfig([
      {
        name: "lhm/listener-1",
        hostname: "bar.com",
        virtualHosts: { "*": [route("backend-v1", {})] },
      },
      {
        name: "lhm/listener-2",
        hostname: "foo.bar.com",
        virtualHosts: { "*": [route("backend-v2", {})] },
      },
      {
        name: "lhm/listener-3",
        hostname: "*.bar.com",
        virtualHosts: { "*": [route("backend-v3", {})] },
      },
      {
        name: "lhm/listener-4",
        hostname: "*.foo.com",
        virtualHosts: { "*": [route("backend-v3", {})] },
      },
    ]),
    cases: [
      c("bar.com goes to the bar.com listener", { host: "bar.com" }, "backend-v1/rule/0/match/0"),
      c(
        "foo.bar.com: the exact listener beats *.bar.com",
        { host: "foo.bar.com" },
        "backend-v2/rule/0/match/0",
      ),
      c("baz.bar.com goes to *.bar.com", { host: "baz.bar.com" }, "backend-v3/rule/0/match/0"),
      c(
        "multiple.prefixes.bar.com goes to *.bar.com",
        { host: "multiple.prefixes.bar.com" },
        "backend-v3/rule/0/match/0",
      ),
      c(
        "multiple.prefixes.foo.com goes to *.foo.com",
        { host: "multiple.prefixes.foo.com" },
        "backend-v3/rule/0/match/0",
      ),
      c("foo.com: *.foo.com does not match foo.com", { host: "foo.com" }, null),
      c("no.matching.host has no listener", { host: "no.matching.host" }, null),
    ],
    listenerCases: [
      { name: "bar.com", port: 80, host: "bar.com", expect: "lhm/listener-1" },
      {
        name: "foo.bar.com (exact before wildcard)",
        port: 80,
        host: "foo.bar.com",
        expect: "lhm/listener-2",
      },
      {
        name: "a.foo.bar.com (wildcard spans labels)",
        port: 80,
        host: "a.foo.bar.com",
        expect: "lhm/listener-3",
      },
      { name: "foo.com", port: 80, host: "foo.com", expect: null },
      { name: "other port", port: 81, host: "bar.com", expect: null },
    ],
  },
  {
    name: "Listener isolation",
    config: gatewayConfig([
      {
        name: "iso/empty",
        virtualHosts: { "*": [route("empty", { matches: [{ path: prefix("/empty-hostname") }] })] },
      },
      {
        name: "iso/wildcard-example-com",
        hostname: "*.example.com",
        virtualHosts: {
          "*": [route("wild", { matches: [{ path: prefix("/wildcard-example-com") }] })],
        },
      },
      {
        name: "iso/wildcard-foo-example-com",
        hostname: "*.foo.example.com",
        virtualHosts: {
          "*": [route("wildfoo", { matches: [{ path: prefix("/wildcard-foo-example-com") }] })],
        },
      },
      {
        name: "iso/abc-foo-example-com",
        hostname: "abc.foo.example.com",
        virtualHosts: {
          "*": [route("abc", { matches: [{ path: prefix("/abc-foo-example-com") }] })],
        },
      },
    ]),
    cases: [
      c("bar.com reaches the listener without hostname", {
        host: "bar.com",
        path: "/empty-hostname",
      }, "empty/rule/0/match/0"),
      c("bar.com cannot reach *.example.com routes", {
        host: "bar.com",
        path: "/wildcard-example-com",
      }, null),
      c("bar.example.com reaches *.example.com", {
        host: "bar.example.com",
        path: "/wildcard-example-com",
      }, "wild/rule/0/match/0"),
      c("bar.example.com cannot reach the listener without hostname", {
        host: "bar.example.com",
        path: "/empty-hostname",
      }, null),
      c("bar.foo.example.com reaches *.foo.example.com", {
        host: "bar.foo.example.com",
        path: "/wildcard-foo-example-com",
      }, "wildfoo/rule/0/match/0"),
      c("bar.foo.example.com cannot reach *.example.com", {
        host: "bar.foo.example.com",
        path: "/wildcard-example-com",
      }, null),
      c("abc.foo.example.com reaches its exact listener", {
        host: "abc.foo.example.com",
        path: "/abc-foo-example-com",
      }, "abc/rule/0/match/0"),
      c("abc.foo.example.com cannot reach *.foo.example.com", {
        host: "abc.foo.example.com",
        path: "/wildcard-foo-example-com",
      }, null),
      c("abc.foo.example.com cannot reach *.example.com", {
        host: "abc.foo.example.com",
        path: "/wildcard-example-com",
      }, null),
      c("abc.foo.example.com cannot reach the listener without hostname", {
        host: "abc.foo.example.com",
        path: "/empty-hostname",
      }, null),
    ],
  },
  {
    // listenerFor decides 421: SNI and Host must select the same listener.
    name: "HTTPS listener selection for misdirected requests",
    config: gatewayConfig([
      {
        name: "tls/https",
        port: 443,
        protocol: "HTTPS",
        virtualHosts: { "example.org": [route("t1", {})] },
      },
      {
        name: "tls/https-with-hostname",
        port: 443,
        protocol: "HTTPS",
        hostname: "second-example.org",
        virtualHosts: { "*": [route("t2", {})] },
      },
      {
        name: "tls/https-with-wildcard-hostname",
        port: 443,
        protocol: "HTTPS",
        hostname: "*.wildcard.org",
        virtualHosts: { "*": [route("t3", {})] },
      },
      {
        name: "tls/https-with-hostname-matching-wildcard",
        port: 443,
        protocol: "HTTPS",
        hostname: "fourth-example.wildcard.org",
        virtualHosts: { "*": [route("t4", {})] },
      },
    ]),
    cases: [
      c("example.org is served by the listener without hostname", {
        port: 443,
        host: "example.org",
      }, "t1/rule/0/match/0"),
      c("unknown-example.org reaches that listener but no route", {
        port: 443,
        host: "unknown-example.org",
      }, null),
      c("fith-example.wildcard.org is served by *.wildcard.org", {
        port: 443,
        host: "fith-example.wildcard.org",
      }, "t3/rule/0/match/0"),
      c("fourth-example.wildcard.org is served by its exact listener", {
        port: 443,
        host: "fourth-example.wildcard.org",
      }, "t4/rule/0/match/0"),
    ],
    listenerCases: [
      { name: "example.org", port: 443, host: "example.org", expect: "tls/https" },
      {
        name: "unknown-example.org shares the no-hostname listener",
        port: 443,
        host: "unknown-example.org",
        expect: "tls/https",
      },
      {
        name: "second-example.org",
        port: 443,
        host: "second-example.org",
        expect: "tls/https-with-hostname",
      },
      {
        name: "third-example.wildcard.org",
        port: 443,
        host: "third-example.wildcard.org",
        expect: "tls/https-with-wildcard-hostname",
      },
      {
        name: "fourth-example.wildcard.org (exact before wildcard)",
        port: 443,
        host: "fourth-example.wildcard.org",
        expect: "tls/https-with-hostname-matching-wildcard",
      },
    ],
  },
  {
    name: "Virtual host precedence inside a listener",
    config: gatewayConfig([{
      name: "vh/http",
      virtualHosts: {
        "*": [route("any", { matches: [{ path: prefix("/") }] })],
        "*.example.com": [
          route("wild", { matches: [{ path: prefix("/wild") }, { path: prefix("/shared") }] }),
        ],
        "*.b.example.com": [route("wildb", { matches: [{ path: prefix("/shared") }] })],
        "a.b.example.com": [
          route("exact", {
            matches: [{ path: exact("/shared") }, { path: prefix("/only-exact") }],
          }),
        ],
      },
    }]),
    cases: [
      c(
        "the exact virtual host wins",
        { host: "a.b.example.com", path: "/shared" },
        "exact/rule/0/match/0",
      ),
      c("falls through from the exact host to the wildcard with most labels", {
        host: "a.b.example.com",
        path: "/shared/x",
      }, "wildb/rule/0/match/0"),
      c(
        "falls through to *.example.com",
        { host: "a.b.example.com", path: "/wild" },
        "wild/rule/0/match/0",
      ),
      c(
        "falls through to *",
        { host: "a.b.example.com", path: "/elsewhere" },
        "any/rule/0/match/0",
      ),
      c(
        "*.example.com matches a.example.com",
        { host: "a.example.com", path: "/shared" },
        "wild/rule/0/match/1",
      ),
      c(
        "*.example.com does not match example.com",
        { host: "example.com", path: "/wild" },
        "any/rule/0/match/0",
      ),
      c("another host under b.example.com uses *.b.example.com", {
        host: "z.b.example.com",
        path: "/shared",
      }, "wildb/rule/0/match/0"),
      c(
        "an unrelated host uses *",
        { host: "other.org", path: "/only-exact" },
        "any/rule/0/match/0",
      ),
    ],
  },
];
