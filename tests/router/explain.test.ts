import { assertEquals } from "@std/assert";
import { explain, explainRequest } from "../../src/router/explain.ts";
import { compileRouteTable } from "../../src/router/compile_route_table.ts";
import { createLinearRouteTable } from "../../src/router/linear_route_table.ts";
import { exact, gatewayConfig, listenerId, matchId, prefix, route } from "./builders.ts";
import { ruleMapOf } from "../../src/model/rule_map.ts";

function fixture() {
  const config = gatewayConfig([
    {
      name: "gw/http",
      hostname: "*.example.com",
      virtualHosts: {
        "api.example.com": [
          route(
            "api",
            { matches: [{ path: exact("/v1/login"), method: "POST" }], backends: ["login"] },
            {
              matches: [{
                path: prefix("/v1"),
                headers: { "x-beta": "yes" },
                queryParams: { debug: "1" },
              }],
              backends: [{ name: "beta", weight: 3 }, { name: "stable", weight: 1 }],
            },
            { matches: [{ path: prefix("/admin") }], backends: ["admin"] },
          ),
        ],
        "*": [route("fallback", { backends: ["web"] })],
      },
    },
    {
      name: "gw/https",
      port: 443,
      protocol: "HTTPS",
      hostname: "api.example.com",
      virtualHosts: { "*": [route("secure", { backends: ["api"] })] },
    },
    {
      name: "gw/https-other",
      port: 443,
      protocol: "HTTPS",
      hostname: "www.example.com",
      virtualHosts: { "*": [route("www", { backends: ["web"] })] },
    },
  ]);
  const id = "httproute/default/api/rule/1";
  const rules = [...config.rules].map(([k, r]) =>
    [k, k === id ? { ...r, invalidWeight: 4 } : r] as const
  );
  return { ...config, rules: ruleMapOf(rules) };
}

Deno.test("explain names listener, virtual host, match, rule, backends with shares and endpoints", () => {
  const table = compileRouteTable(fixture());
  const result = explain(table, {
    port: 80,
    authority: "API.example.com:80",
    target: "/v1/users?debug=1",
    headers: { "X-Beta": "yes" },
  });
  assertEquals(result.outcome, "routed");
  assertEquals(result.status, undefined);
  assertEquals(result.request.host, "api.example.com");
  assertEquals(result.listener?.id, listenerId("gw/http"));
  assertEquals(result.virtualHosts, ["api.example.com", "*"]);
  assertEquals(result.match?.id, matchId("api/rule/1/match/0"));
  assertEquals(result.match?.virtualHost, "api.example.com");
  assertEquals(result.rule?.id, "httproute/default/api/rule/1");
  assertEquals(result.rule?.backends.map((b) => [b.id, b.weight, b.share]), [
    ["service/default/beta:8080", 3, 0.375],
    ["service/default/stable:8080", 1, 0.125],
  ]);
  assertEquals(result.rule?.invalidShare, 0.5);
  assertEquals(result.rule?.backends[0].endpoints, [{ address: "10.0.0.1", port: 8080 }]);
});

Deno.test("explain says why each earlier candidate did not match and skips later ones", () => {
  const table = compileRouteTable(fixture());
  const result = explain(table, {
    port: 80,
    authority: "api.example.com",
    target: "/v1/login?debug=2",
    headers: { "x-other": "1" },
  });
  assertEquals(result.match?.id, matchId("fallback/rule/0/match/0"));
  const byMatch = Object.fromEntries(result.candidates.map((c) => [c.match, c]));
  assertEquals(byMatch[matchId("api/rule/0/match/0")].reasons.map((r) => r.message), [
    "Method GET differs from POST",
  ]);
  assertEquals(byMatch[matchId("api/rule/1/match/0")].reasons, [
    { field: "header", name: "x-beta", message: "Header x-beta is missing" },
    {
      field: "queryParam",
      name: "debug",
      message: 'Query parameter debug value "2" differs from "1"',
    },
  ]);
  assertEquals(byMatch[matchId("api/rule/2/match/0")].reasons, [
    { field: "path", message: 'Path "/v1/login" does not match PathPrefix "/admin"' },
  ]);
  assertEquals(byMatch[matchId("fallback/rule/0/match/0")].result, "matched");
  assertEquals(result.candidates.map((c) => c.result), [
    "no-match",
    "no-match",
    "no-match",
    "matched",
  ]);
});

Deno.test("explain marks candidates after the winner as not evaluated", () => {
  const result = explain(compileRouteTable(fixture()), {
    port: 80,
    authority: "api.example.com",
    target: "/v1/login",
    method: "POST",
  });
  assertEquals(result.candidates.map((c) => c.result), [
    "matched",
    "not-evaluated",
    "not-evaluated",
    "not-evaluated",
  ]);
});

Deno.test("explain routes the normalised path: /public/../admin is /admin", () => {
  const result = explain(compileRouteTable(fixture()), {
    port: 80,
    authority: "api.example.com",
    target: "/public/%2e%2e/admin",
  });
  assertEquals(result.request.path, "/admin");
  assertEquals(result.match?.id, matchId("api/rule/2/match/0"));
});

Deno.test("explain answers 400 for a malformed authority or path", () => {
  const table = compileRouteTable(fixture());
  const badHost = explain(table, { port: 80, authority: "user@api.example.com", target: "/" });
  assertEquals([badHost.outcome, badHost.status], ["bad-request", 400]);
  assertEquals(badHost.message, 'Cannot parse authority: current value is "user@api.example.com"');
  const badPath = explain(table, { port: 80, authority: "api.example.com", target: "/a%zz?x" });
  assertEquals([badPath.outcome, badPath.status, badPath.request.path], ["bad-request", 400, null]);
});

Deno.test("explain answers 404 when no listener accepts the host", () => {
  const result = explain(compileRouteTable(fixture()), {
    port: 80,
    authority: "example.com",
    target: "/",
  });
  assertEquals([result.outcome, result.status, result.listener], ["no-listener", 404, null]);
});

Deno.test("explain answers 404 with every candidate's reasons when no route matches", () => {
  const config = fixture();
  config.ports[0].listeners[0].virtualHosts.pop(); // drop the `*` fallback
  const result = explain(compileRouteTable(config), {
    port: 80,
    authority: "api.example.com",
    target: "/nothing",
  });
  assertEquals([result.outcome, result.status, result.match], ["no-route", 404, null]);
  assertEquals(result.candidates.length, 3);
  assertEquals(
    result.candidates.every((c) => c.result === "no-match" && c.reasons.length > 0),
    true,
  );
});

Deno.test("explain answers 421 when SNI and host select different HTTPS listeners", () => {
  const table = compileRouteTable(fixture());
  const misdirected = explain(table, {
    port: 443,
    authority: "www.example.com",
    serverName: "api.example.com",
    target: "/",
  });
  assertEquals([misdirected.outcome, misdirected.status], ["misdirected", 421]);
  const same = explain(table, {
    port: 443,
    authority: "api.example.com",
    serverName: "api.example.com",
    target: "/",
  });
  assertEquals(same.match?.id, matchId("secure/rule/0/match/0"));
});

Deno.test("explain output survives a JSON round trip unchanged", () => {
  const result = explain(compileRouteTable(fixture()), {
    port: 80,
    authority: "api.example.com",
    target: "/v1/x?debug=1",
    headers: { "x-beta": "yes" },
  });
  assertEquals(JSON.parse(JSON.stringify(result)), result);
});

Deno.test("explain gives the same answer over the linear reference table", () => {
  const input = { port: 80, authority: "api.example.com", target: "/v1/login?debug=2" };
  assertEquals(
    explain(createLinearRouteTable(fixture()), input),
    explain(compileRouteTable(fixture()), input),
  );
});

Deno.test("explainRequest of the split request says what explain of the raw target says", () => {
  const table = compileRouteTable(fixture());
  const headers = { "x-beta": "yes" };
  const raw = explain(table, {
    port: 80,
    authority: "API.example.com:80",
    target: "/v1/../v1/users?debug=1",
    headers,
  });
  const split = explainRequest(table, {
    port: 80,
    host: "api.example.com",
    method: "GET",
    path: "/v1/users",
    query: "debug=1",
    headers: new Headers(headers),
  });
  assertEquals(split, raw);
  assertEquals(split.outcome, "routed");
});
