/**
 * A route table compiled with the virtual hosts of earlier tables reused
 * answers like one compiled from scratch: every golden scenario under random
 * changes (fixed seeds), translated incrementally as the gateway does, and
 * probed with a request per match of every virtual host.
 */
import { assert, assertEquals } from "@std/assert";
import { translate } from "../../src/translate/translate.ts";
import { TranslateMemo } from "../../src/translate/translate_memo.ts";
import {
  compileRouteTable,
  createRouteTableCompiler,
} from "../../src/router/compile_route_table.ts";
import type { GatewayConfig, RuleConfig, VirtualHostConfig } from "../../src/model/config.ts";
import type { RouteMatch, RouteRequest, RouteTable } from "../../src/router/router.ts";
import { Prng } from "../fuzz/_prng.ts";
import { loadSnapshot } from "../translate/load_snapshot.ts";
import { MUTATIONS } from "../translate/_snapshot_mutations.ts";
import { ruleMapOf } from "../../src/model/rule_map.ts";

const TESTDATA = new URL("../translate/testdata/", import.meta.url);

function requestsFor(config: GatewayConfig): RouteRequest[] {
  const requests: RouteRequest[] = [];
  for (const port of config.ports) {
    for (const listener of port.listeners) {
      for (const host of listener.virtualHosts) {
        const name = host.hostname === "*" ? "any.test" : host.hostname.replace("*", "w");
        for (const match of host.matches) {
          requests.push({
            port: port.port,
            ...(port.address === undefined ? {} : { address: port.address }),
            host: name,
            method: match.method ?? "GET",
            path: match.path.type === "RegularExpression" ? "/" : match.path.value,
            query: "",
            headers: new Headers(match.headers.map((h) => [h.name, h.value])),
          });
        }
      }
    }
  }
  return requests;
}

function answer(table: RouteTable, request: RouteRequest) {
  const found: RouteMatch | undefined = table.match(request);
  if (found === undefined) return undefined;
  const { virtualHosts: _v, ...listener } = found.listener;
  return { listener, virtualHost: found.virtualHost, match: found.match, rule: found.rule };
}

Deno.test("a table compiled with reused virtual hosts answers like one compiled from scratch", () => {
  const files = [...Deno.readDirSync(TESTDATA)].map((e) => e.name)
    .filter((n) => n.endsWith(".in.yaml")).sort();
  const names = Object.keys(MUTATIONS);
  let probes = 0;
  files.forEach((file, index) => {
    const { snapshot, options } = loadSnapshot(
      Deno.readTextFileSync(new URL(file, TESTDATA)),
      (path) => Deno.readTextFileSync(new URL(path, TESTDATA)),
    );
    const rng = new Prng(7000 + index);
    const memo = new TranslateMemo();
    const compile = createRouteTableCompiler();
    let current = snapshot;
    for (let step = 0; step < 20; step++) {
      const config = translate(current, options, memo).config;
      const reused = compile(config);
      const fresh = compileRouteTable(config);
      for (const request of requestsFor(config)) {
        probes++;
        assertEquals(answer(reused, request), answer(fresh, request), `${file} step ${step}`);
      }
      current = MUTATIONS[rng.pick(names)](current, rng, []) ?? current;
    }
  });
  assert(probes > files.length * 20, `only ${probes} requests`);
});

/** One virtual host with one match and its rule, made anew for each version. */
function hostVersion(hostname: string, version: number) {
  const id = `httproute/default/${hostname}/rule/0`;
  const rule = {
    id,
    filters: [],
    backends: [],
    invalidWeight: 0,
    version,
  } as unknown as RuleConfig;
  const host: VirtualHostConfig = {
    hostname,
    matches: [{
      id: `${id}/match/0`,
      rule: id,
      route: `httproute/default/${hostname}`,
      path: { type: "PathPrefix", value: version % 2 === 0 ? "/" : "/odd" },
      headers: [],
      queryParams: [],
    }],
  };
  return { host, rule };
}

Deno.test("at hundreds of hosts, a table patched change after change answers like one compiled from scratch", () => {
  const rng = new Prng(99);
  const names = Array.from({ length: 400 }, (_, i) => i % 40 === 0 ? `*.w${i}.test` : `h${i}.test`);
  // Hostname → its current version; absent: not served.
  const live = new Map<string, { host: VirtualHostConfig; rule: RuleConfig }>();
  for (const name of names.slice(0, 300)) live.set(name, hostVersion(name, 0));
  const compile = createRouteTableCompiler();
  const listener = {
    id: "gateway/default/gw/listener/http",
    ids: ["gateway/default/gw/listener/http"],
    hostname: null,
    port: 80,
    protocol: "HTTP" as const,
  };
  for (let step = 0; step < 150; step++) {
    for (let c = rng.int(4); c >= 0; c--) {
      const name = rng.pick(names);
      if (live.has(name) && rng.chance(0.4)) live.delete(name);
      else live.set(name, hostVersion(name, step + 1));
    }
    const sorted = [...live.keys()].sort();
    const rules: Record<string, RuleConfig> = {};
    for (const name of sorted) rules[live.get(name)!.rule.id] = live.get(name)!.rule;
    const config: GatewayConfig = {
      ports: [{
        port: 80,
        protocol: "HTTP",
        listeners: [{ ...listener, virtualHosts: sorted.map((n) => live.get(n)!.host) }],
      }],
      rules: ruleMapOf(rules),
    };
    const reused = compile(config);
    const fresh = compileRouteTable(config);
    for (const name of names) {
      for (const path of ["/", "/odd"]) {
        const request: RouteRequest = {
          port: 80,
          host: name.replace("*", "a"),
          method: "GET",
          path,
          query: "",
          headers: new Headers(),
        };
        assertEquals(
          answer(reused, request),
          answer(fresh, request),
          `${name}${path} step ${step}`,
        );
      }
    }
  }
});

Deno.test("hosts compiled change after change share one result listener while the listener is unchanged", () => {
  const names = Array.from({ length: 50 }, (_, i) => `h${i}.test`);
  const live = new Map(names.map((name) => [name, hostVersion(name, 0)]));
  const compile = createRouteTableCompiler();
  const listener = {
    id: "gateway/default/gw/listener/http",
    ids: ["gateway/default/gw/listener/http"],
    hostname: null,
    port: 80,
    protocol: "HTTP" as const,
  };
  let table: RouteTable | undefined;
  // Each change rewrites one host: every host is compiled again at its own change.
  for (let step = 1; step <= 200; step++) {
    const name = names[step % names.length];
    live.set(name, hostVersion(name, step));
    const rules: Record<string, RuleConfig> = {};
    for (const { rule } of live.values()) rules[rule.id] = rule;
    table = compile({
      ports: [{
        port: 80,
        protocol: "HTTP",
        listeners: [{ ...listener, virtualHosts: names.map((n) => live.get(n)!.host) }],
      }],
      rules: ruleMapOf(rules),
    });
  }
  const listeners = new Set<unknown>();
  for (const name of names) {
    for (const path of ["/", "/odd"]) {
      const request: RouteRequest = {
        port: 80,
        host: name,
        method: "GET",
        path,
        query: "",
        headers: new Headers(),
      };
      const found = table!.match(request);
      if (found !== undefined) listeners.add(found.listener);
    }
  }
  assertEquals(listeners.size, 1);
});
