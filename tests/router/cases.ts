/**
 * The one case suite every `RouteTable` implementation runs. Scenarios are
 * written from the Gateway API spec and its conformance tables (our own
 * fixtures, same behaviours), plus the edges the IR contract defines.
 * `expect` is the winning match id (`<route>/rule/<i>/match/<j>` in
 * namespace `default`), or `null` for "no route" (404).
 * @module
 */
import type { GatewayConfig } from "../../src/translate/config.ts";
import { exact, gatewayConfig, prefix, regex, route } from "./builders.ts";

export interface RequestSpec {
  port?: number;
  /** Default `example.com`. */
  host?: string;
  method?: string;
  /** Path, optionally with `?query`. Default `/`. */
  path?: string;
  headers?: [string, string][] | Record<string, string>;
}

export interface RouteCase {
  name: string;
  request: RequestSpec;
  expect: string | null;
}

/** `sni` and `host` are served by the same listener, or the request is misdirected (421). */
export interface ListenerCase {
  name: string;
  port: number;
  host: string;
  /** Listener name `<gateway>/<section>`, or `null` for none. */
  expect: string | null;
}

export interface RouteScenario {
  name: string;
  config: GatewayConfig;
  cases: RouteCase[];
  listenerCases?: ListenerCase[];
}

/** Single listener without hostname on port 80, routes on `*`. */
function simple(...routes: ReturnType<typeof route>[]): GatewayConfig {
  return gatewayConfig([{ name: "gw/http", virtualHosts: { "*": routes } }]);
}

const c = (name: string, request: RequestSpec, expect: string | null): RouteCase => ({
  name,
  request,
  expect,
});

export const scenarios: RouteScenario[] = [
  {
    name: "Exact path matching",
    config: simple(
      route(
        "exact",
        { matches: [{ path: exact("/one") }], backends: ["v1"] },
        { matches: [{ path: exact("/two") }], backends: ["v2"] },
      ),
    ),
    cases: [
      c("Exact /one matches /one", { path: "/one" }, "exact/rule/0/match/0"),
      c("Exact /two matches /two", { path: "/two" }, "exact/rule/1/match/0"),
      c("Exact paths do not match /", { path: "/" }, null),
      c("Exact /one does not match /one/example", { path: "/one/example" }, null),
      c("Exact /two does not match /two/ (trailing slash)", { path: "/two/" }, null),
      c("Exact /two does not match /Two (case-sensitive)", { path: "/Two" }, null),
      c("Exact /one does not match /onex", { path: "/onex" }, null),
    ],
  },
  {
    name: "PathPrefix and header matches OR'd within a rule",
    config: simple(
      route(
        "matching",
        { matches: [{ path: prefix("/") }, { headers: { version: "one" } }], backends: ["v1"] },
        { matches: [{ path: prefix("/v2") }, { headers: { version: "two" } }], backends: ["v2"] },
      ),
    ),
    cases: [
      c("PathPrefix / matches /", { path: "/" }, "matching/rule/0/match/0"),
      c("PathPrefix / matches /example", { path: "/example" }, "matching/rule/0/match/0"),
      c("header version: one selects rule 0", {
        path: "/",
        headers: { Version: "one" },
      }, "matching/rule/0/match/1"),
      c("PathPrefix /v2 matches /v2", { path: "/v2" }, "matching/rule/1/match/0"),
      c("PathPrefix /v2 matches /v2/example", { path: "/v2/example" }, "matching/rule/1/match/0"),
      c("PathPrefix /v2 matches /v2/", { path: "/v2/" }, "matching/rule/1/match/0"),
      c("header version: two selects rule 1 on /", {
        path: "/",
        headers: { Version: "two" },
      }, "matching/rule/1/match/1"),
      c(
        "PathPrefix /v2 does not match /v2example",
        { path: "/v2example" },
        "matching/rule/0/match/0",
      ),
      c("PathPrefix /v2 does not match /foo/v2/example", {
        path: "/foo/v2/example",
      }, "matching/rule/0/match/0"),
    ],
  },
  {
    name: "Matching across routes that share a hostname",
    config: gatewayConfig([{
      name: "gw/http",
      virtualHosts: {
        "example.com": [
          route("part1", { matches: [{ path: prefix("/") }, { headers: { version: "one" } }] }),
          route("part2", { matches: [{ path: prefix("/v2") }, { headers: { version: "two" } }] }),
        ],
        "example.net": [
          route("part1", { matches: [{ path: prefix("/") }, { headers: { version: "one" } }] }),
        ],
      },
    }]),
    cases: [
      c("example.com / goes to part1", { host: "example.com", path: "/" }, "part1/rule/0/match/0"),
      c("example.net /example goes to part1", {
        host: "example.net",
        path: "/example",
      }, "part1/rule/0/match/0"),
      c("example.com /v2 goes to part2 (longer prefix across routes)", {
        host: "example.com",
        path: "/v2",
      }, "part2/rule/0/match/0"),
      c("example.net /v2 goes to part1 (part2 is not on example.net)", {
        host: "example.net",
        path: "/v2",
      }, "part1/rule/0/match/0"),
      c("example.com header version: two goes to part2", {
        host: "example.com",
        path: "/",
        headers: { Version: "two" },
      }, "part2/rule/0/match/1"),
      c("a host without a virtual host gets no route", { host: "example.org" }, null),
    ],
  },
  {
    name: "Path match order",
    config: simple(
      route(
        "order",
        { matches: [{ path: exact("/match") }] },
        { matches: [{ path: exact("/match/exact") }] },
        { matches: [{ path: exact("/match/exact/one") }] },
        { matches: [{ path: prefix("/match/") }] },
        { matches: [{ path: prefix("/match/prefix/") }] },
        { matches: [{ path: prefix("/match/prefix/one") }] },
      ),
    ),
    cases: [
      c("Exact /match/exact/one wins", { path: "/match/exact/one" }, "order/rule/2/match/0"),
      c("Exact /match/exact wins", { path: "/match/exact" }, "order/rule/1/match/0"),
      c("Exact /match wins over PathPrefix /match/", { path: "/match" }, "order/rule/0/match/0"),
      c("longest PathPrefix /match/prefix/one wins", {
        path: "/match/prefix/one/any",
      }, "order/rule/5/match/0"),
      c("PathPrefix /match/prefix/ wins for /match/prefix/any", {
        path: "/match/prefix/any",
      }, "order/rule/4/match/0"),
      c("PathPrefix /match/ catches /match/any", { path: "/match/any" }, "order/rule/3/match/0"),
      c("PathPrefix /match/ matches /match/ (its trailing slash is ignored)", {
        path: "/match/",
      }, "order/rule/3/match/0"),
      c("PathPrefix /match/prefix/one does not match /match/prefix/onex", {
        path: "/match/prefix/onex",
      }, "order/rule/4/match/0"),
    ],
  },
  {
    name: "Header matching",
    config: simple(
      route(
        "headers",
        { matches: [{ headers: { version: "one" } }] },
        { matches: [{ headers: { version: "two" } }] },
        { matches: [{ headers: { version: "two", color: "orange" } }] },
        { matches: [{ headers: { color: "blue" } }, { headers: { color: "green" } }] },
        { matches: [{ headers: { color: "red" } }, { headers: { color: "yellow" } }] },
      ),
    ),
    cases: [
      c("header version: one", { headers: { Version: "one" } }, "headers/rule/0/match/0"),
      c("header version: two", { headers: { Version: "two" } }, "headers/rule/1/match/0"),
      c("two headers beat one (version: two, color: orange)", {
        headers: { Version: "two", Color: "orange" },
      }, "headers/rule/2/match/0"),
      c("version: two with color: blue falls back to the version: two rule", {
        headers: { Version: "two", Color: "blue" },
      }, "headers/rule/1/match/0"),
      c("color: orange alone matches nothing", { headers: { Color: "orange" } }, null),
      c("an unrelated header matches nothing", { headers: { "Some-Other-Header": "one" } }, null),
      c("color: blue", { headers: { Color: "blue" } }, "headers/rule/3/match/0"),
      c("color: green", { headers: { Color: "green" } }, "headers/rule/3/match/1"),
      c("color: red", { headers: { Color: "red" } }, "headers/rule/4/match/0"),
      c("color: yellow", { headers: { Color: "yellow" } }, "headers/rule/4/match/1"),
      c("color: purple matches nothing", { headers: { Color: "purple" } }, null),
      c("header values are case-sensitive: Version: One", { headers: { Version: "One" } }, null),
      c("header names are case-insensitive: VERSION: one", {
        headers: { VERSION: "one" },
      }, "headers/rule/0/match/0"),
    ],
  },
  {
    name: "Header edge cases",
    config: simple(
      route("re", { matches: [{ headers: { "x-id": { regex: "[0-9]+" } } }] }),
      route("dup", {
        matches: [{
          path: prefix("/dup"),
          headers: [
            { type: "Exact", name: "x-env", value: "prod" },
            { type: "Exact", name: "X-Env", value: "dev" },
          ],
        }],
      }),
      route("joined", { matches: [{ path: prefix("/joined"), headers: { "x-tag": "a, b" } }] }),
    ),
    cases: [
      c(
        "header RegularExpression [0-9]+ matches 123",
        { headers: { "X-Id": "123" } },
        "re/rule/0/match/0",
      ),
      c("header RegularExpression is a full match: 123abc does not match", {
        headers: { "X-Id": "123abc" },
      }, null),
      c("only the first condition for a header name counts (x-env: prod)", {
        path: "/dup",
        headers: { "x-env": "prod" },
      }, "dup/rule/0/match/0"),
      c("a later condition for the same header name is ignored (x-env: dev)", {
        path: "/dup",
        headers: { "x-env": "dev" },
      }, null),
      c("a repeated request header is matched as its values joined by comma-space", {
        path: "/joined",
        headers: [["x-tag", "a"], ["x-tag", "b"]],
      }, "joined/rule/0/match/0"),
    ],
  },
  {
    name: "Query param matching",
    config: simple(
      route(
        "query",
        { matches: [{ queryParams: { animal: "whale" } }] },
        { matches: [{ queryParams: { animal: "dolphin" } }] },
        {
          matches: [
            { queryParams: { animal: "dolphin", color: "blue" } },
            { queryParams: { ANIMAL: "Whale" } },
          ],
        },
        { matches: [{ path: prefix("/path1"), queryParams: { animal: "whale" } }] },
        { matches: [{ headers: { version: "one" }, queryParams: { animal: "whale" } }] },
        {
          matches: [{
            path: prefix("/path2"),
            headers: { version: "two" },
            queryParams: { animal: "whale" },
          }],
        },
        {
          matches: [
            { path: prefix("/path3"), queryParams: { animal: "shark" } },
            {
              path: prefix("/path4"),
              headers: { version: "three" },
              queryParams: { animal: "kraken" },
            },
          ],
        },
        { matches: [{ path: prefix("/path5") }] },
        { matches: [{ queryParams: { animal: "hydra" } }] },
        { matches: [{ headers: { version: "four" } }] },
        { matches: [{ path: prefix("/re"), queryParams: { id: { regex: "[a-f]+" } } }] },
      ),
    ),
    cases: [
      c("animal=whale", { path: "/?animal=whale" }, "query/rule/0/match/0"),
      c("animal=dolphin", { path: "/?animal=dolphin" }, "query/rule/1/match/0"),
      c("two params beat one (animal=dolphin&color=blue)", {
        path: "/?animal=dolphin&color=blue",
      }, "query/rule/2/match/0"),
      c("query names are case-sensitive (ANIMAL=Whale)", {
        path: "/?ANIMAL=Whale",
      }, "query/rule/2/match/1"),
      c(
        "extra params are ignored",
        { path: "/?animal=whale&otherparam=irrelevant" },
        "query/rule/0/match/0",
      ),
      c(
        "animal=dolphin&color=yellow",
        { path: "/?animal=dolphin&color=yellow" },
        "query/rule/1/match/0",
      ),
      c("color=blue alone matches nothing", { path: "/?color=blue" }, null),
      c("animal=dog matches nothing", { path: "/?animal=dog" }, null),
      c("animal=whaledolphin matches nothing (Exact is whole value)", {
        path: "/?animal=whaledolphin",
      }, null),
      c("no query matches nothing", { path: "/" }, null),
      c("path and query together", { path: "/path1?animal=whale" }, "query/rule/3/match/0"),
      c("header and query together", {
        path: "/?animal=whale",
        headers: { version: "one" },
      }, "query/rule/4/match/0"),
      c("path, header and query together", {
        path: "/path2?animal=whale",
        headers: { version: "two" },
      }, "query/rule/5/match/0"),
      c("OR'd matches: the first alone", { path: "/path3?animal=shark" }, "query/rule/6/match/0"),
      c("OR'd matches: the second alone", {
        path: "/path4?animal=kraken",
        headers: { version: "three" },
      }, "query/rule/6/match/1"),
      c("AND'd conditions: query without path does not match", { path: "/?animal=shark" }, null),
      c("AND'd conditions: path and query without header do not match", {
        path: "/path4?animal=kraken",
      }, null),
      c(
        "a longer path prefix beats a query match",
        { path: "/path5?animal=hydra" },
        "query/rule/7/match/0",
      ),
      c("a header match beats a query match", {
        path: "/?animal=hydra",
        headers: { version: "four" },
      }, "query/rule/9/match/0"),
      c("a repeated query param matches on its first value", {
        path: "/?animal=whale&animal=dolphin",
      }, "query/rule/0/match/0"),
      c("a repeated query param never matches on a later value", {
        path: "/?animal=dog&animal=whale",
      }, null),
      c("query values are percent-decoded", { path: "/?animal=wh%61le" }, "query/rule/0/match/0"),
      c(
        "query RegularExpression is a full match",
        { path: "/re?id=beef" },
        "query/rule/10/match/0",
      ),
      c("query RegularExpression does not match a partial value", { path: "/re?id=beefy" }, null),
    ],
  },
  {
    name: "Method matching",
    config: simple(
      route(
        "method",
        { matches: [{ method: "POST" }] },
        { matches: [{ method: "GET" }] },
        { matches: [{ path: prefix("/path1"), method: "GET" }] },
        { matches: [{ headers: { version: "one" }, method: "PUT" }] },
        { matches: [{ path: prefix("/path2"), headers: { version: "two" }, method: "POST" }] },
        {
          matches: [
            { path: prefix("/path3"), method: "PATCH" },
            { path: prefix("/path4"), headers: { version: "three" }, method: "DELETE" },
          ],
        },
        { matches: [{ path: prefix("/path5") }] },
        { matches: [{ method: "PATCH" }] },
        { matches: [{ headers: { version: "four" } }] },
      ),
    ),
    cases: [
      c("method POST", { method: "POST" }, "method/rule/0/match/0"),
      c("method GET", { method: "GET" }, "method/rule/1/match/0"),
      c("method HEAD matches nothing", { method: "HEAD" }, null),
      c("path and method", { path: "/path1", method: "GET" }, "method/rule/2/match/0"),
      c("header and method", {
        method: "PUT",
        headers: { version: "one" },
      }, "method/rule/3/match/0"),
      c("path, header and method", {
        path: "/path2",
        method: "POST",
        headers: { version: "two" },
      }, "method/rule/4/match/0"),
      c(
        "OR'd matches: the first alone",
        { path: "/path3", method: "PATCH" },
        "method/rule/5/match/0",
      ),
      c("OR'd matches: the second alone", {
        path: "/path4",
        method: "DELETE",
        headers: { version: "three" },
      }, "method/rule/5/match/1"),
      c("AND'd conditions: method without header does not match", { method: "PUT" }, null),
      c("AND'd conditions: path and method without header do not match", {
        path: "/path4",
        method: "DELETE",
      }, null),
      c(
        "a longer path prefix beats a method match",
        { path: "/path5", method: "PATCH" },
        "method/rule/6/match/0",
      ),
      c("a method match beats a header match", {
        method: "PATCH",
        headers: { version: "four" },
      }, "method/rule/7/match/0"),
    ],
  },
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
  {
    name: "Path edge cases",
    config: simple(
      route("slash", { matches: [{ path: prefix("/foo/") }] }),
      route("re", { matches: [{ path: regex("/items/[0-9]+") }] }),
      route("re-wide", { matches: [{ path: regex("/items/.*") }] }),
      route("exact-trailing", { matches: [{ path: exact("/dir/") }] }),
      route("encoded", { matches: [{ path: prefix("/a%2Fb") }] }),
    ),
    cases: [
      c(
        "PathPrefix /foo/ matches /foo (trailing slash of the prefix is ignored)",
        { path: "/foo" },
        "slash/rule/0/match/0",
      ),
      c("PathPrefix /foo/ matches /foo/", { path: "/foo/" }, "slash/rule/0/match/0"),
      c("PathPrefix /foo/ matches /foo/bar", { path: "/foo/bar" }, "slash/rule/0/match/0"),
      c("PathPrefix /foo/ does not match /foobar", { path: "/foobar" }, null),
      c("PathPrefix matching is case-sensitive", { path: "/Foo" }, null),
      c(
        "RegularExpression /items/[0-9]+ matches /items/42",
        { path: "/items/42" },
        "re/rule/0/match/0",
      ),
      c(
        "RegularExpression is anchored at the end",
        { path: "/items/42/x" },
        "re-wide/rule/0/match/0",
      ),
      c("RegularExpression is anchored at the start", { path: "/x/items/42" }, null),
      c("Exact /dir/ matches /dir/ only", { path: "/dir/" }, "exact-trailing/rule/0/match/0"),
      c("Exact /dir/ does not match /dir", { path: "/dir" }, null),
      c("an encoded slash is part of a segment", { path: "/a%2Fb/c" }, "encoded/rule/0/match/0"),
      c("an encoded slash is not a slash", { path: "/a/b" }, null),
    ],
  },
  {
    name: "Interleaved path types keep the given precedence order",
    config: gatewayConfig([{
      name: "mix/http",
      keepOrder: true,
      virtualHosts: {
        // Hand-ordered (translate's order), mixing kinds on purpose.
        "*": [
          route("r", { matches: [{ path: prefix("/api"), method: "POST" }] }),
          route("s", { matches: [{ path: regex("/api/v[0-9]") }] }),
          route("t", { matches: [{ path: prefix("/api/v1"), headers: { "x-beta": "1" } }] }),
          route("u", { matches: [{ path: exact("/api/v1") }] }),
          route("v", { matches: [{ path: prefix("/") }] }),
        ],
      },
    }]),
    cases: [
      c(
        "the earlier PathPrefix with method wins",
        { path: "/api/v1", method: "POST" },
        "r/rule/0/match/0",
      ),
      c("a regex placed before an Exact wins", { path: "/api/v1" }, "s/rule/0/match/0"),
      c(
        "the prefix with header is next",
        { path: "/api/v1/x", headers: { "x-beta": "1" } },
        "t/rule/0/match/0",
      ),
      c("PathPrefix / is last", { path: "/api/v1/x" }, "v/rule/0/match/0"),
    ],
  },
  {
    name: "Broken configuration never matches and never throws",
    config: (() => {
      const config = gatewayConfig([{
        name: "broken/http",
        keepOrder: true,
        virtualHosts: {
          "*": [
            route("bad-regex", { matches: [{ path: regex("/(unclosed") }] }),
            route("bad-header", { matches: [{ headers: { x: { regex: "[" } } }] }),
            route("orphan", { matches: [{ path: prefix("/orphan") }] }),
            route("fallback", {}),
          ],
        },
      }]);
      delete config.rules["httproute/default/orphan/rule/0"];
      return config;
    })(),
    cases: [
      c(
        "a path regex that does not compile is skipped",
        { path: "/(unclosed" },
        "fallback/rule/0/match/0",
      ),
      c(
        "a header regex that does not compile is skipped",
        { headers: { x: "[" } },
        "fallback/rule/0/match/0",
      ),
      c("a match whose rule is missing is skipped", { path: "/orphan" }, "fallback/rule/0/match/0"),
    ],
  },
];
