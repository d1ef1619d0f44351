/**
 * Router cases: path edges, interleaved precedence, broken configuration.
 * @module
 */
import { exact, gatewayConfig, prefix, regex, route } from "./builders.ts";
import { c, type RouteScenario, simple } from "./case_types.ts";
import { ruleMapOf } from "../../src/model/rule_map.ts";

export const edgeScenarios: RouteScenario[] = [
  {
    name: "Pool addresses: the same port on two addresses is two sockets",
    config: gatewayConfig([
      { name: "a/http", address: "127.32.0.1", virtualHosts: { "*": [route("to-a", {})] } },
      { name: "b/http", address: "127.32.0.2", virtualHosts: { "*": [route("to-b", {})] } },
    ]),
    cases: [
      c(
        "a request to Gateway a's address gets a's route",
        { address: "127.32.0.1" },
        "to-a/rule/0/match/0",
      ),
      c(
        "a request to Gateway b's address gets b's route",
        { address: "127.32.0.2" },
        "to-b/rule/0/match/0",
      ),
      c("another address of the port has no listener", { address: "127.32.0.3" }, null),
      c("the shared port (no address) has no listener", {}, null),
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
      const rules = [...config.rules].filter(([id]) => id !== "httproute/default/orphan/rule/0");
      return { ...config, rules: ruleMapOf(rules) };
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
