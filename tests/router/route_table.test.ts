/**
 * Runs the shared case suite against every `RouteTable` implementation.
 */
import { assertEquals } from "@std/assert";
import type { GatewayConfig } from "../../src/model/config.ts";
import type { RouteRequest, RouteTable } from "../../src/router/router.ts";
import { compileRouteTable } from "../../src/router/compile_route_table.ts";
import { createLinearRouteTable } from "../../src/router/linear_route_table.ts";
import { type RequestSpec, scenarios } from "./cases.ts";
import { listenerId, matchId } from "./builders.ts";

interface Implementation {
  name: string;
  create(config: GatewayConfig): RouteTable;
  /** Case name → why this implementation cannot do it. Empty: it does them all. */
  skip: Map<string, string>;
}

export const implementations: Implementation[] = [
  { name: "compiled", create: compileRouteTable, skip: new Map() },
  { name: "linear", create: createLinearRouteTable, skip: new Map() },
];

/** Turn a readable request spec into a `RouteRequest`. */
export function toRequest(spec: RequestSpec): RouteRequest {
  const target = spec.path ?? "/";
  const q = target.indexOf("?");
  return {
    port: spec.port ?? 80,
    ...(spec.address === undefined ? {} : { address: spec.address }),
    host: spec.host ?? "example.com",
    method: spec.method ?? "GET",
    path: q === -1 ? target : target.slice(0, q),
    query: q === -1 ? "" : target.slice(q + 1),
    headers: new Headers(
      Array.isArray(spec.headers) ? spec.headers : Object.entries(spec.headers ?? {}),
    ),
  };
}

for (const impl of implementations) {
  for (const scenario of scenarios) {
    Deno.test(`${impl.name} router: ${scenario.name}`, async (t) => {
      const table = impl.create(scenario.config);
      for (const kase of scenario.cases) {
        const skipReason = impl.skip.get(kase.name);
        await t.step({
          name: kase.name + (skipReason ? ` (skipped: ${skipReason})` : ""),
          ignore: skipReason !== undefined,
          fn: () => {
            const result = table.match(toRequest(kase.request));
            assertEquals(
              result?.match.id ?? null,
              kase.expect === null ? null : matchId(kase.expect),
            );
            if (result) {
              assertEquals(result.rule.id, result.match.rule);
              const request = toRequest(kase.request);
              assertEquals(
                result.listener,
                table.listenerFor(request.port, request.host, request.address),
              );
              const hosts = result.listener.virtualHosts.map((v) => v.hostname);
              assertEquals(hosts.includes(result.virtualHost), true);
            }
          },
        });
      }
      for (const kase of scenario.listenerCases ?? []) {
        await t.step(`listenerFor(${kase.port}, ${kase.host}): ${kase.name}`, () => {
          const listener = table.listenerFor(kase.port, kase.host);
          assertEquals(listener?.id ?? null, kase.expect === null ? null : listenerId(kase.expect));
        });
      }
    });
  }
}

Deno.test("compiled router: the table is frozen", () => {
  const table = compileRouteTable(scenarios[0].config);
  assertEquals(Object.isFrozen(table), true);
});
