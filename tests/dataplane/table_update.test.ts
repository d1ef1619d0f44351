/**
 * Table updates for data-plane workers: a worker that patches its copy of
 * the config with each update (packed and structured-cloned, as the pool
 * posts it) holds the config `translate` gave, and its caching compiler
 * routes every request as a full compile of that config does. Driven by
 * random change sequences over every golden scenario (fixed seeds), with
 * workers that miss versions or restart and so get full snapshots.
 */
import { assert, assertEquals } from "@std/assert";
import {
  compileRouteTable,
  createRouteTableCompiler,
} from "../../src/router/compile_route_table.ts";
import type { RouteRequest, RouteTable } from "../../src/router/router.ts";
import { TableReplica } from "../../src/dataplane/table_replica.ts";
import {
  packTableUpdate,
  type TableUpdate,
  TableUpdateWriter,
  unpackTableUpdate,
} from "../../src/dataplane/table_update.ts";
import type { GatewayConfig } from "../../src/model/config.ts";
import type { HTTPRoute } from "../../src/resources/http_route_types.ts";
import { translate } from "../../src/translate/translate.ts";
import { TranslateMemo } from "../../src/translate/translate_memo.ts";
import { MUTATIONS } from "../translate/_snapshot_mutations.ts";
import { loadSnapshot } from "../translate/load_snapshot.ts";
import { Prng } from "../fuzz/_prng.ts";

const TESTDATA = new URL("../translate/testdata/", import.meta.url);
const STEPS = 25;

/** A simulated worker: its replica, its compiler, and the table it serves. */
class Worker {
  replica = new TableReplica();
  compile = createRouteTableCompiler();
  table: RouteTable | undefined;
  fulls = 0;

  /** What the pool does: the delta when it fits, else the full snapshot. */
  receive(delta: TableUpdate, full: () => TableUpdate): void {
    const fits = delta.base !== undefined && delta.base === this.replica.version;
    // As the pool posts it: packed, then structured-cloned.
    const update = unpackTableUpdate(structuredClone(packTableUpdate(fits ? delta : full())));
    if (!fits) {
      this.fulls++;
      this.compile = createRouteTableCompiler();
    }
    const patched = this.replica.apply(update);
    assert(patched !== undefined, `update ${update.version} refused`);
    this.table = this.compile(patched.config);
  }
}

/** One request per match of every virtual host, plus hosts no listener names. */
function probes(config: GatewayConfig): RouteRequest[] {
  const requests: RouteRequest[] = [];
  for (const port of config.ports) {
    const base = { port: port.port, address: port.address, query: "" };
    for (const listener of port.listeners) {
      for (const vh of listener.virtualHosts) {
        const host = vh.hostname === "*"
          ? (listener.hostname ?? "any.test").replace("*", "x")
          : vh.hostname.replace("*", "x");
        for (const m of vh.matches) {
          const headers = new Headers();
          for (const h of m.headers) if (h.type === "Exact") headers.set(h.name, h.value);
          const query = m.queryParams.filter((q) => q.type === "Exact")
            .map((q) => `${encodeURIComponent(q.name)}=${encodeURIComponent(q.value)}`).join("&");
          const path = m.path.type === "RegularExpression" ? "/" : m.path.value;
          requests.push({ ...base, host, method: m.method ?? "GET", path, query, headers });
        }
      }
    }
    requests.push({
      ...base,
      host: "nobody.invalid",
      method: "GET",
      path: "/",
      headers: new Headers(),
    });
  }
  return requests;
}

/** What a table answers to `requests`, as plain data. */
function routing(table: RouteTable, requests: RouteRequest[]): unknown[] {
  return requests.map((r) => {
    const found = table.match(r);
    return {
      listener: table.listenerFor(r.port, r.host, r.address)?.id,
      match: found && {
        listener: found.listener.id,
        virtualHost: found.virtualHost,
        match: found.match,
        rule: found.rule,
      },
    };
  });
}

function runSequence(
  file: string,
  seed: number,
): { steps: number; fulls: number; missed: number } {
  const { snapshot, options } = loadSnapshot(
    Deno.readTextFileSync(new URL(file, TESTDATA)),
    (path) => Deno.readTextFileSync(new URL(path, TESTDATA)),
  );
  const rng = new Prng(seed);
  const memo = new TranslateMemo();
  const writer = new TableUpdateWriter();
  const workers = [new Worker(), new Worker()];
  const removed: HTTPRoute[] = [];
  const names = Object.keys(MUTATIONS);
  let current = snapshot;
  let steps = 0;
  for (let step = 0; step <= STEPS; step++) {
    if (step > 0) {
      const next = MUTATIONS[rng.pick(names)](current, rng, removed);
      if (next === undefined) continue;
      current = next;
    }
    const result = translate(current, options, memo);
    const delta = writer.next(result.config, result.certificates);
    const expected = routing(compileRouteTable(result.config), probes(result.config));
    for (let i = 0; i < workers.length; i++) {
      // Worker 1 now and then misses a version or is restarted.
      if (i === 1 && rng.chance(0.15)) continue;
      if (i === 1 && rng.chance(0.1)) workers[1] = new Worker();
      workers[i].receive(delta, () => writer.full());
      const where = `${file}, seed ${seed}, step ${step}, worker ${i}`;
      assertEquals(workers[i].table!.config, result.config, where);
      assertEquals(routing(workers[i].table!, probes(result.config)), expected, where);
    }
    steps++;
  }
  return { steps, fulls: workers[0].fulls, missed: workers[1].fulls };
}

Deno.test("workers patched by table updates route as a full compile does, over random changes to every golden scenario", () => {
  const scenarios = [...Deno.readDirSync(TESTDATA)]
    .map((e) => e.name)
    .filter((name) => name.endsWith(".in.yaml"))
    .sort();
  let steps = 0;
  let missed = 0;
  scenarios.forEach((file, index) => {
    for (const seed of [1, 2]) {
      const run = runSequence(file, seed * 1000 + index);
      steps += run.steps;
      missed += run.missed;
      // The worker that never misses one gets a full snapshot once, first.
      assertEquals(run.fulls, 1, `${file}, seed ${seed}`);
    }
  });
  assert(steps > scenarios.length * 20, `only ${steps} steps checked`);
  assert(missed > scenarios.length, `only ${missed} full snapshots after a miss`);
});
