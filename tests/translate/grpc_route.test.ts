import { assertEquals } from "@std/assert";
import type { GRPCRouteMatch } from "../../src/resources/grpc_route_types.ts";
import type { MatchConfig } from "../../src/model/config.ts";
import { grpcMatchAsHttp, grpcRank } from "../../src/translate/grpc_route.ts";
import { type RankedMatch, sortMatches } from "../../src/translate/precedence.ts";
import { compileFullMatch } from "../../src/router/compiled_match.ts";

const path = (m: GRPCRouteMatch) => grpcMatchAsHttp(m).path!;

Deno.test("service and method, Exact, is the exact path /<service>/<method>", () => {
  assertEquals(path({ method: { service: "echo.Echo", method: "Say" } }), {
    type: "Exact",
    value: "/echo.Echo/Say",
  });
});

Deno.test("a service alone is every method of it: the prefix /<service>/", () => {
  assertEquals(path({ method: { service: "echo.Echo" } }), {
    type: "PathPrefix",
    value: "/echo.Echo/",
  });
});

Deno.test("a method alone matches it in any service, and nothing longer", () => {
  const p = path({ method: { method: "Say" } });
  const re = compileFullMatch(p.value!);
  assertEquals([re.test("/a.B/Say"), re.test("/x/Say"), re.test("/a.B/SayMore"), re.test("/Say")], [
    true,
    true,
    false,
    false,
  ]);
});

Deno.test("RegularExpression parts match whole segments; an absent part is any segment", () => {
  const re = compileFullMatch(
    path({ method: { type: "RegularExpression", service: "echo\\.v[0-9]+\\.Echo" } }).value!,
  );
  assertEquals([
    re.test("/echo.v2.Echo/Say"),
    re.test("/echo.v2.Echo/a/b"),
    re.test("/echo.vx.Echo/Say"),
  ], [
    true,
    false,
    false,
  ]);
});

Deno.test("no method match is every call; headers carry over", () => {
  const m = grpcMatchAsHttp({ headers: [{ name: "version", value: "two" }] });
  assertEquals(m, {
    path: { type: "PathPrefix", value: "/" },
    headers: [{ name: "version", value: "two" }],
  });
});

Deno.test("grpcRank counts the characters of matching service and method", () => {
  assertEquals(grpcRank(path({ method: { service: "echo.Echo", method: "Say" } })), {
    service: 9,
    method: 3,
  });
  assertEquals(grpcRank(path({ method: { service: "echo.Echo" } })), { service: 9, method: 0 });
  assertEquals(grpcRank(path({ method: { method: "Say" } })), { service: 0, method: 3 });
  assertEquals(grpcRank(path({})), { service: 0, method: 0 });
});

function ranked(id: string, m: GRPCRouteMatch, headers = 0, createdAt = 0): RankedMatch {
  const p = path(m);
  const match: MatchConfig = {
    id,
    rule: id,
    route: "ns/r",
    path: { type: p.type!, value: p.value! },
    headers: Array.from(
      { length: headers },
      (_, i) => ({ type: "Exact", name: `h${i}`, value: "1" }),
    ),
    queryParams: [],
    grpc: grpcRank(p),
  };
  return { match, createdAt, ruleIndex: 0, matchIndex: 0 };
}

Deno.test("gRPC precedence: service characters, then method characters, then header count, then age", () => {
  const order = sortMatches([
    ranked("any", {}),
    ranked("method-only", { method: { method: "Say" } }),
    ranked("service-with-header", { method: { service: "echo.Echo" } }, 1),
    ranked("service", { method: { service: "echo.Echo" } }),
    ranked("service-method", { method: { service: "echo.Echo", method: "Say" } }),
    ranked("longer-service", { method: { service: "echo.v1.Echo" } }),
    ranked("headers-two", {}, 2, 5),
    ranked("headers-two-older", {}, 2, 1),
  ]).map((m) => m.id);
  assertEquals(order, [
    "longer-service",
    "service-method",
    "service-with-header",
    "service",
    "method-only",
    "headers-two-older",
    "headers-two",
    "any",
  ]);
});
