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
import type { GatewayConfig } from "../../src/model/config.ts";
import type { RouteMatch, RouteRequest, RouteTable } from "../../src/router/router.ts";
import { Prng } from "../fuzz/_prng.ts";
import { loadSnapshot } from "../translate/load_snapshot.ts";
import { MUTATIONS } from "../translate/_snapshot_mutations.ts";

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
