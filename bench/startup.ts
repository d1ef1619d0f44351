/**
 * Start-up at scale, old against new: one API server holding a Gateway and
 * `--routes` HTTPRoutes (the world of `bench/scale.ts`), and the gateway
 * started against it again and again, each `--main` in turn in every round,
 * so a busy machine weighs on every build alike. Each start is timed from
 * spawn to the first 200 of the last route, and cut into the phases the
 * gateway logs (loaded, listed, first table served, with that table's
 * translate and compile), and the CPU it had used by its first 200 (all
 * threads, and its main thread alone), steadier than the times while others
 * load the machine. One start before the rounds writes the statuses, so
 * every measured start finds the same objects. `--main` takes `main.ts` files
 * and bundle files (`deno task bundle`); `--bundle` also starts the minified
 * bundle of each (`bench/_builds.ts`), what the compiled binary runs, and
 * `--one-file-bundle` that bundle as one file.
 * `--cold` starts every build without V8's code cache (`--no-code-cache`), as
 * a compiled binary starts the first time in a fresh container, where it has
 * written none yet. `--trace` prints every log line
 * of the last start with its ms from spawn; `--cpu-prof DIR` writes its V8
 * CPU profile into DIR.
 *
 * ```sh
 * deno run -A bench/startup.ts --routes 5000 [--api fake|real] [--rounds 3]
 *   [--main A/main.ts,B/main.ts] [--bundle] [--one-file-bundle] [--cold] [--trace] [--cpu-prof DIR]
 * ```
 * @module
 */
// deno-lint-ignore-file no-console
import { flag } from "./_flags.ts";
import { freePort, startGateway } from "../tests/_helpers/gateway_process.ts";
import { ProbeClient } from "./_probe_client.ts";
import { isServedRecord, type StartupPhases, startupPhases } from "./_scale_churn.ts";
import { probeUntilServed } from "./_scale_probe.ts";
import { median } from "./_rounds.ts";
import { threadCpuSeconds, treeCpuSeconds } from "./_processes.ts";
import { type ScaleApi, type ScaleWorld, startWorld } from "./_scale_world.ts";
import { benchBuilds, bundleChoice } from "./_builds.ts";

const COLD = Deno.args.includes("--cold");

/** One start of one build. */
interface Start extends StartupPhases {
  /** Spawn to the first 200 of the last route, ms. */
  firstOk: number;
  /** CPU the gateway had used by then (user + system, all threads), ms; 10 ms steps. */
  cpuMs: number;
  /** Of which its main thread (where JavaScript runs), ms. */
  mainMs: number;
}

async function startOnce(
  world: ScaleWorld,
  port: number,
  routes: number,
  mainPath: string | undefined,
  trace: boolean,
  cpuProfDir?: string,
): Promise<Start> {
  const dir = await Deno.makeTempDir();
  const client = new ProbeClient(port);
  try {
    const started = performance.now();
    const spawnedAt = Date.now();
    await using gw = await startGateway({
      args: [...await world.sourceArgs(dir), "--log-level", trace ? "debug" : "info"],
      waitFor: "nothing",
      mainPath,
      denoFlags: [
        ...(COLD ? ["--no-code-cache"] : []),
        ...(cpuProfDir ? ["--cpu-prof", `--cpu-prof-dir=${cpuProfDir}`] : []),
      ],
    });
    const target = { client, served: world.served };
    const first = await probeUntilServed(target, `r-${routes - 1}.test`, started, 60_000);
    const [cpu, threads] = await Promise.all([treeCpuSeconds(gw.pid), threadCpuSeconds(gw.pid)]);
    const cpuMs = cpu * 1000;
    const mainMs = (threads.get(gw.pid)?.seconds ?? NaN) * 1000;
    await gw.waitForLog(isServedRecord, 30_000).catch(() => undefined);
    const records = gw.logRecords();
    if (trace) {
      for (const r of records) {
        const at = Date.parse(String(r.time)) - spawnedAt;
        console.log(`${String(at).padStart(6)} ${r.component ?? ""} ${r.msg}`);
      }
    }
    await gw.stop();
    return { ...startupPhases(records, spawnedAt), firstOk: first.ms, cpuMs, mainMs };
  } finally {
    client.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

function loadAverage(): string {
  return Deno.loadavg().map((l) => l.toFixed(2)).join(" ");
}

const FIELDS = [
  "loaded",
  "synced",
  "served",
  "translateMs",
  "compileMs",
  "firstOk",
  "cpuMs",
  "mainMs",
] as const;

function row(name: string, start: Start): string {
  return `${name.padEnd(32)}` + FIELDS.map((f) => start[f].toFixed(0).padStart(10)).join("");
}

if (import.meta.main) {
  const routes = Number(flag("routes", "5000"));
  const rounds = Number(flag("rounds", "3"));
  const api = flag("api", "fake") as ScaleApi;
  const mains = Deno.args.includes("--main") ? flag("main", "").split(",") : [];
  const trace = Deno.args.includes("--trace");
  const cpuProfDir = Deno.args.includes("--cpu-prof") ? flag("cpu-prof", "") : undefined;
  const builds = await benchBuilds(mains, bundleChoice(Deno.args));
  const port = freePort();
  const world = await startWorld(api, routes, port);
  try {
    // Once each first: the statuses written, and each build's code cache.
    for (const build of builds) await startOnce(world, port, routes, build.mainPath, false);
    console.log(
      `${routes} routes, ${api} API server, ms from spawn${COLD ? ", no code cache" : ""}`,
    );
    console.log("build".padEnd(32) + FIELDS.map((f) => f.padStart(10)).join("") + "   load");
    const all = new Map<string, Start[]>();
    for (let round = 0; round < rounds; round++) {
      for (const build of builds) {
        const last = round === rounds - 1 && build === builds[builds.length - 1];
        const profile = last ? cpuProfDir : undefined;
        const start = await startOnce(world, port, routes, build.mainPath, trace && last, profile);
        all.set(build.name, [...all.get(build.name) ?? [], start]);
        console.log(`${row(build.name, start)}   ${loadAverage()}`);
      }
    }
    console.log("medians");
    for (const [name, starts] of all) {
      const mid = Object.fromEntries(FIELDS.map((f) => [f, median(starts.map((s) => s[f]))]));
      console.log(row(name, mid as unknown as Start));
    }
  } finally {
    await world.close();
  }
}
