/**
 * Does `--workers 2` double what one worker serves? On a 2-core machine
 * wrk, the backend and the gateway share the cores, so running wrk against
 * both answers a different question (how the cores are split). Here each
 * gateway runs inside a CPU budget of its own (a cgroup quota,
 * `bench/_cpu_budget.ts`): one worker on `--budget B` cores' worth of time,
 * N workers on N×B, while wrk and the nginx backend run outside both budgets.
 * When the budgets bind (the gateway uses all of its quota: the `used`
 * column, and throttled periods), the req/s ratio N workers / 1 worker is the
 * scaling the issue asks about (target ≥ 1.8x for 2), independent of what
 * else shares the machine, as long as the machine has the N×B left over.
 *
 * A third row, N single-worker gateways side by side (N processes, each on
 * B), is the most N workers could reach with nothing shared. Every row gets
 * the same client: two wrk threads and `--connections` in all (split between
 * the processes of that row). Keep the connections many: wrk waits for each
 * answer before the next request, and on a busy machine a few dozen
 * connections leave two workers waiting on the scheduler rather than on
 * their budget.
 *
 * Also printed per target: CPU per request (all of the process's threads),
 * and how the busiest threads split that CPU (the workers' isolates, the
 * main isolate's share, the runtime's own threads), which shows an uneven
 * accept distribution or work left on the main thread.
 *
 * ```sh
 * deno run -A bench/workers_bench.ts [--workers 2] [--budget 0.15] [--duration 5s] [--rounds 5]
 *                                    [--connections 200] [--baseline DIR] [--v8-flags FLAGS]
 * ```
 * `--baseline DIR` adds the 1 and N worker gateways of another checkout;
 * `--v8-flags` passes V8 flags to every gateway. Without root or a cgroup cpu
 * controller it says so and exits 1.
 * @module
 */
// deno-lint-ignore-file no-console
import { startTaskFlags } from "../scripts/start_task_flags.ts";
import { flag, gatewayRunArgs, reportFailure } from "./_bench_setup.ts";
import {
  type Child,
  freePort,
  requirePositiveInteger,
  requireTools,
  spawn,
  waitFor200,
} from "./_processes.ts";
import { median } from "./_rounds.ts";
import { type CpuBudget, cpuBudgetUnavailable, createCpuBudget } from "./_cpu_budget.ts";
import { benchManifests } from "./_proxy_manifests.ts";
import {
  type BudgetedGateway,
  measureTarget,
  type WorkerRun,
  type WorkerTarget,
} from "./_workers_measure.ts";

const workers = Number(flag("workers", "2"));
const budgetCpus = Number(flag("budget", "0.15"));
const duration = flag("duration", "5s");
const rounds = Number(flag("rounds", "5"));
const connections = flag("connections", "200");
const baseline = flag("baseline", "");
const v8Flags = flag("v8-flags", "");
const root = new URL("..", import.meta.url).pathname;

await requireTools("the workers benchmark", ["nginx", "wrk"]);
requirePositiveInteger("rounds", rounds);
requirePositiveInteger("workers", workers);
const unavailable = cpuBudgetUnavailable();
if (unavailable !== undefined) {
  console.error(`Cannot run the workers benchmark: ${unavailable}`);
  Deno.exit(1);
}

const dir = await Deno.makeTempDir({ prefix: "serval-workers-" });
const children: Child[] = [];
const budgets: CpuBudget[] = [];
let failed = false;
try {
  const backendPort = freePort();
  const template = await Deno.readTextFile(new URL("nginx.conf.template", import.meta.url));
  const conf = template.replaceAll("{{DIR}}", dir).replaceAll("{{ROLE}}", "backend")
    .replaceAll("{{PORT}}", String(backendPort)).replaceAll("{{BACKEND_PORT}}", "1")
    .replaceAll("{{LOCATION}}", 'default_type text/plain; return 200 "hello from the backend\\n";');
  await Deno.writeTextFile(`${dir}/backend.conf`, conf);
  children.push(
    spawn("backend", "nginx", ["-p", dir, "-c", `${dir}/backend.conf`, "-e", `${dir}/b.log`]),
  );

  const start = async (checkout: string, count: number): Promise<BudgetedGateway> => {
    const port = freePort();
    const manifests = `${dir}/manifests-${port}`;
    await Deno.mkdir(manifests);
    await Deno.writeTextFile(`${manifests}/bench.yaml`, benchManifests(port, backendPort));
    const budget = createCpuBudget(`serval-bench-${Deno.pid}-${port}`, budgetCpus * count);
    budgets.push(budget);
    const [command, args] = budget.wrap(
      Deno.execPath(),
      gatewayRunArgs({
        checkout,
        manifests,
        denoFlags: [
          ...startTaskFlags(checkout),
          ...(v8Flags === "" ? [] : [`--v8-flags=${v8Flags}`]),
        ],
        args: ["--drain-delay", "0s", "--workers", String(count)],
      }),
    );
    const child = spawn(`gateway ${port} (${count} workers)`, command, args);
    children.push(child);
    return { url: `http://127.0.0.1:${port}/bench`, pid: child.process.pid, budget };
  };
  const one = await start(root, 1);
  const targets: WorkerTarget[] = [
    { name: "1 worker", members: [one] },
    { name: `${workers} workers`, members: [await start(root, workers)] },
    // The most N workers could reach: N separate processes, nothing shared.
    {
      name: `${workers} processes`,
      members: [
        one,
        ...await Promise.all(Array.from({ length: workers - 1 }, () => start(root, 1))),
      ],
    },
  ];
  if (baseline !== "") {
    const checkout = baseline.replace(/\/?$/, "/");
    targets.push({ name: "baseline 1 worker", members: [await start(checkout, 1)] });
    targets.push({
      name: `baseline ${workers} workers`,
      members: [await start(checkout, workers)],
    });
  }
  for (const t of targets) for (const m of t.members) await waitFor200(m.url, 60_000);

  const measure = async (t: WorkerTarget, d: string): Promise<WorkerRun> => {
    const run = await measureTarget(t, d, Number(connections), workers + 2);
    if (run.bad !== undefined) {
      failed = true;
      console.error(`${t.name}: ${run.bad}`);
    }
    return run;
  };
  for (const t of targets) await measure(t, "2s");

  const load = () => Deno.loadavg().map((l) => l.toFixed(1)).join(" ");
  const loadBefore = load();
  const runs = new Map(targets.map((t) => [t.name, [] as WorkerRun[]]));
  for (let round = 0; round < rounds; round++) {
    for (const t of targets.map((_, i) => targets[(i + round) % targets.length])) {
      runs.get(t.name)!.push(await measure(t, duration));
    }
  }
  console.log(
    `wrk -t2 -c${connections} -d${duration} x ${rounds} alternating rounds; budget ${budgetCpus} ` +
      `CPU per worker (cgroup quota); load average ${loadBefore} -> ${load()}\n`,
  );
  console.log(
    "target".padEnd(22) + "req/s@budget used".padEnd(30) + "median".padStart(8) +
      "  µs/req  used  throttled  busiest threads' shares",
  );
  for (const [name, rs] of runs) {
    const med = (f: (r: WorkerRun) => number) => median(rs.map(f));
    console.log(
      name.padEnd(22) +
        rs.map((r) => `${r.rps.toFixed(0)}@${(r.used * 100).toFixed(0)}%`).join(" ").padEnd(30) +
        med((r) => r.rps).toFixed(0).padStart(8) + med((r) => r.cpuUs).toFixed(0).padStart(8) +
        `${(med((r) => r.used) * 100).toFixed(0)}%`.padStart(6) +
        med((r) => r.throttled).toFixed(0).padStart(11) + "  " +
        rs[rs.length - 1].threads.map((t) => `${t.name} ${(t.share * 100).toFixed(0)}%`).join(", "),
    );
  }
  const ratio = (a: string, b: string) => {
    const [ra, rb] = [runs.get(a)!, runs.get(b)!];
    const each = ra.map((r, i) => r.rps / rb[i].rps);
    // A round counts as scaling only when both gateways used (nearly) all of their budgets.
    const bound = each.filter((_, i) => ra[i].used >= 0.9 && rb[i].used >= 0.9);
    console.log(
      `${a} / ${b}: ${median(each).toFixed(2)}x (rounds ${
        each.map((x) => x.toFixed(2)).join(" ")
      }); rounds where both budgets bound: ${
        bound.length === 0 ? "none" : `${median(bound).toFixed(2)}x of ${bound.length}`
      }`,
    );
  };
  console.log("");
  for (const [name, rs] of runs) {
    const used = median(rs.map((r) => r.used));
    if (used < 0.9) {
      console.log(
        `${name} used ${(used * 100).toFixed(0)}% of its budget: the machine could not give it ` +
          "that much CPU, so the ratio below is not the scaling; try a smaller --budget",
      );
    }
  }
  ratio(`${workers} workers`, "1 worker");
  ratio(`${workers} processes`, "1 worker");
  ratio(`${workers} workers`, `${workers} processes`);
  if (baseline !== "") ratio(`baseline ${workers} workers`, "baseline 1 worker");
} catch (error) {
  failed = true;
  reportFailure("Workers benchmark", error, children);
} finally {
  await Promise.allSettled(children.map((c) => c.stop()));
  await Promise.allSettled(budgets.map((b) => b.remove()));
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}
if (failed) Deno.exit(1);
