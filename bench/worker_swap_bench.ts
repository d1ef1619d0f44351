/**
 * What one config change costs the data-plane worker pool (`--workers N`):
 * a pool of `--workers` workers serving one port of `--routes` virtual
 * hosts takes `--changes` changes of one host each (the other hosts the
 * very objects of the config before, as `translate` hands them back), and
 * the time `reconcile` takes is printed (mean, p50, max), with each
 * worker's own patch-and-compile time from its debug log line. The first
 * 10 changes of a round warm the code up and are not counted. With
 * `--pool OTHER_CHECKOUT`, that checkout's pool runs the same changes in
 * alternating rounds, for a before/after in one run. Loopback only.
 *
 * ```sh
 * deno run -A --unstable-net bench/worker_swap_bench.ts [--routes 3000,5000] [--changes 40]
 *   [--workers 2] [--rounds 2] [--pool /path/to/other/checkout]
 * ```
 * @module
 */
// deno-lint-ignore-file no-console
import { flag } from "./_flags.ts";
import type { WorkerPool, WorkerPoolOptions } from "../src/dataplane/worker_pool.ts";
import { createLogger } from "../src/log/logger.ts";
import type { RuleConfig } from "../src/model/config.ts";
import { freePort } from "../tests/_helpers/gateway_process.ts";
import { median } from "./_rounds.ts";
import {
  oneListenerConfig,
  prefixHost,
  routeRule,
  testBackend,
} from "../scripts/config_fixtures.ts";

type CreatePool = (options: WorkerPoolOptions) => WorkerPool;

// The changed route's backend moves among seven Services: a change the pool must carry.
const rule = (i: number, version: number) =>
  routeRule(`r-${i}`, testBackend(`svc-${version % 7}`, [9]));
const host = (i: number, r: RuleConfig) => prefixHost(`r-${i}.test`, r);
const config = oneListenerConfig;

/** One round: a pool from `create`, a first config, then one-host changes. */
const WARMUP = 10;

async function round(create: CreatePool, routes: number, changes: number, workers: number) {
  const port = freePort();
  const swaps: number[] = [];
  const pool = create({
    workers,
    hostname: "127.0.0.1",
    logger: createLogger({
      level: "debug",
      write: (line) => {
        const record = JSON.parse(line);
        if (record.msg === "data-plane worker swapped its table" && record.version > WARMUP + 1) {
          swaps.push(record.swapMs);
        }
      },
    }),
  });
  const rules = Array.from({ length: routes }, (_, i) => rule(i, 0));
  const hosts = rules.map((r, i) => host(i, r));
  const ms: number[] = [];
  try {
    await pool.reconcile({ config: config(port, hosts, rules) });
    for (let c = 1; c <= WARMUP + changes; c++) {
      const i = (c * 7919) % routes;
      rules[i] = rule(i, c);
      hosts[i] = host(i, rules[i]);
      const t0 = performance.now();
      await pool.reconcile({ config: config(port, [...hosts], [...rules]) });
      if (c > WARMUP) ms.push(performance.now() - t0);
    }
  } finally {
    await pool.shutdown({ graceMs: 1000 });
  }
  return { ms, swaps };
}

const fmt = (values: number[]) =>
  values.length === 0
    ? "-"
    : `${(values.reduce((a, b) => a + b) / values.length).toFixed(2)} / ${
      median(values).toFixed(2)
    } / ${Math.max(...values).toFixed(2)}`;

if (import.meta.main) {
  const pools: [string, CreatePool][] = [[
    "this checkout",
    (await import("../src/dataplane/worker_pool.ts")).createWorkerPool,
  ]];
  const other = flag("pool", "");
  if (other !== "") {
    const module = await import(`${other}/src/dataplane/worker_pool.ts`);
    pools.push([other, module.createWorkerPool]);
  }
  const workers = Number(flag("workers", "2"));
  const changes = Number(flag("changes", "40"));
  for (const routes of flag("routes", "3000,5000").split(",").map(Number)) {
    const results = new Map(
      pools.map(([name]) => [name, { ms: [] as number[], swaps: [] as number[] }]),
    );
    for (let r = 0; r < Number(flag("rounds", "2")); r++) {
      for (const [name, create] of pools) {
        const { ms, swaps } = await round(create, routes, changes, workers);
        results.get(name)!.ms.push(...ms);
        results.get(name)!.swaps.push(...swaps);
      }
    }
    const load = Deno.loadavg().map((l) => l.toFixed(1)).join(" ");
    console.log(`routes ${routes}, ${workers} workers, ${changes} changes a round (load ${load}):`);
    for (const [name, { ms, swaps }] of results) {
      console.log(
        `  ${name}: reconcile mean/p50/max ${fmt(ms)} ms; per worker swap ${fmt(swaps)} ms`,
      );
    }
  }
}
