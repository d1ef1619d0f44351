/**
 * Router cases: paths and path precedence (from the Gateway API conformance tables).
 * @module
 */
import { exact, gatewayConfig, prefix, route } from "./builders.ts";
import { c, type RouteScenario, simple } from "./case_types.ts";

export const pathScenarios: RouteScenario[] = [
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
];
