/**
 * Where the gateway's memory goes at scale: the world of `bench/scale.ts`
 * (the fake API server with `--routes` HTTPRoutes, a backend process), the
 * gateway started as `deno task start` runs it, then `--probes` new routes
 * and `--changes` rewritten routes, each waited for until served. Resident
 * memory is read from `/proc/PID/smaps` by part (the executable's pages,
 * other files, glibc's heap and arenas, the rest of the anonymous memory)
 * after the probes, halfway through the changes and at the end.
 *
 * By default it runs this checkout's sources; the compiled binary (the
 * container image) runs their minified bundle, which `--bundle` adds
 * (`bench/_builds.ts`; `--one-file-bundle`: as one file). `--main` runs
 * another checkout's `main.ts` or a bundle file (`deno task bundle`),
 * several comma-separated. Each run starts every build in turn; each figure
 * names its build. `--cold` starts without V8's code cache
 * (`--no-code-cache`). The V8 heap is shown by space at the end: module
 * sources are strings in the old and large-object spaces, bytecode is in
 * the trusted space, machine code in the code space. A run now and then
 * reads ~20 MiB more in glibc's arenas (seen in bundle runs), so compare
 * builds over several runs.
 *
 * Without `--inspect` the process runs exactly as a user runs it. With it,
 * the gateway listens for the V8 inspector (as `bench/scale.ts` does for its
 * after-GC reading), and at the end a full GC is forced and the memory read
 * again; `--snapshot DIR` also writes a heap snapshot there and prints the
 * retained size of the gateway's layers (`bench/_heap_layers.ts`) and its
 * large objects with what keeps them (`bench/_heap_large.ts`).
 * `--alloc-profile` samples allocations over the second half of the changes
 * (collected ones too) and prints the sites that allocate the most per change
 * and every large allocation's stack (`bench/_alloc_profile.ts`);
 * `--settle S` leaves the gateway alone S seconds after the changes, before
 * the end's readings (the status writer's writes at start-up end meanwhile).
 * `--malloc-info` reads glibc's own account (in use, free but kept) at the
 * end, and each heap's free chunks by size (`bench/_malloc_info.ts`: free
 * memory in chunks of 128 KiB and more is what varies from run to run); the
 * gateway then runs with `--allow-ffi`. With the inspector, the V8 heap is
 * shown by space after the full GC too: beside the figures before it, what
 * each space held as garbage (a map of 5,000 entries keeps its 224 KiB hash
 * table in the large-object space).
 *
 * ```sh
 * deno run -A bench/memory.ts [--routes 5000] [--probes 30] [--changes 1000]
 *   [--inspect] [--snapshot DIR] [--alloc-profile] [--malloc-info] [--v8-flags FLAGS] [--env NAME=VALUE]...
 *   [--main A/main.ts,B/dist/bundle/main.js] [--bundle] [--one-file-bundle] [--cold] [--runs 1]
 *   [--settle SECONDS] [--log-level debug]
 * ```
 * @module
 */
// deno-lint-ignore-file no-console
import { flag } from "./_flags.ts";
import { freePort, startGateway } from "../tests/_helpers/gateway_process.ts";
import { startWorld } from "./_scale_world.ts";
import { probeUntilServed } from "./_scale_probe.ts";
import { ProbeClient } from "./_probe_client.ts";
import { InspectorSession, type MallInfo } from "./_inspector.ts";
import { formatRssParts, type RssParts, rssParts } from "./_smaps.ts";
import { heapMiB } from "./_scale_churn.ts";
import { formatMallocHeaps, type MallocHeap, parseMallocInfo } from "./_malloc_info.ts";
import { benchBuilds, bundleChoice } from "./_builds.ts";
import {
  printAllocProfile,
  type SamplingProfile,
  startAllocSampling,
  stopAllocSampling,
} from "./_alloc_profile.ts";

/** One run's options. */
export interface MemoryOptions {
  routes: number;
  probes: number;
  changes: number;
  /** Listen for the inspector: a GC and memory reading at the end. */
  inspect: boolean;
  /** Where to write a heap snapshot at the end (implies `inspect`). */
  snapshotDir?: string;
  /** Sample allocations over the second half of the changes (implies `inspect`). */
  allocProfile?: boolean;
  /** Read glibc's `mallinfo2()` at the end, before the full GC (implies `inspect`, `--allow-ffi`). */
  mallocInfo?: boolean;
  v8Flags?: string;
  env?: Record<string, string>;
  mainPath?: string;
  /** Start without V8's code cache (`--no-code-cache`). */
  cold?: boolean;
  /** Time left to the gateway after the changes, before the end's readings, ms. */
  settleMs?: number;
  /** The gateway's `--log-level` (default info; debug also lists its trims of glibc's heaps). */
  logLevel?: string;
}

/** What one run measured. */
export interface MemoryRun {
  /** RSS parts after the probes, after half of the changes, after all. */
  rss: RssParts[];
  /** RSS parts every {@linkcode SAMPLE_EVERY} changes over the second half of the changes. */
  lastHalf: RssParts[];
  /** V8 heap used / committed at the end (the gateway's /metrics), MiB. */
  heap: { used: number; total: number };
  /** V8 heap used by space at the end (the gateway's /metrics), MiB. */
  spaces: Record<string, number>;
  /** V8 heap committed by space at the end, MiB (what the used figures sit in). */
  committedSpaces: Record<string, number>;
  /** V8 heap used after a full GC halfway through the changes (with the inspector), MiB. */
  heapAfterGcHalfway?: number;
  /** After a full GC (with the inspector), MiB. */
  afterGc?: { rss: RssParts; heapUsed: number; heapTotal: number; external: number };
  /** V8 heap used by space after that GC, MiB: beside `spaces`, what was garbage by space. */
  spacesAfterGc?: Record<string, number>;
  /** The heap snapshot written, if any. */
  snapshot?: string;
  /** glibc's own account at the end, with `mallocInfo`. */
  malloc?: MallInfo;
  /** RSS parts right after glibc's `malloc_trim(0)` at the end (before the GC), with `mallocInfo`. */
  afterTrim?: RssParts;
  /** How long that `malloc_trim(0)` took in the process, ms. */
  trimMs?: number;
  /** glibc's own account after that trim, with `mallocInfo`. */
  mallocAfterTrim?: MallInfo;
  /** glibc's `malloc_info` at the end (heaps, free chunks by size), with `mallocInfo`. */
  mallocHeaps?: MallocHeap[];
  /** Each trim of glibc's heaps after rebuilds the gateway logged, ms (with `--log-level debug`). */
  trims?: number[];
  /** Allocations sampled over the second half of the changes, with `allocProfile`. */
  allocations?: SamplingProfile;
}

/** The gateway's debug line for each trim of glibc's heaps after rebuilds. */
const TRIM_MESSAGE = "handed glibc's free memory back";

/** How often RSS is read over the last half of the changes (one reading is one GC phase). */
const SAMPLE_EVERY = 25;

/** Runs one configuration; every socket is on 127.0.0.1. */
export async function runMemory(options: MemoryOptions): Promise<MemoryRun> {
  const port = freePort();
  const world = await startWorld("fake", options.routes, port);
  const dir = await Deno.makeTempDir();
  const client = new ProbeClient(port);
  const target = { client, served: world.served };
  const inspect = options.inspect || options.snapshotDir !== undefined ||
    !!options.allocProfile || !!options.mallocInfo;
  const inspectPort = freePort();
  try {
    await using gw = await startGateway({
      args: [...await world.sourceArgs(dir), "--log-level", options.logLevel ?? "info"],
      waitFor: "nothing",
      mainPath: options.mainPath,
      env: options.env,
      denoFlags: [
        ...(inspect ? [`--inspect=127.0.0.1:${inspectPort}`] : []),
        ...(options.v8Flags ? [`--v8-flags=${options.v8Flags}`] : []),
        ...(options.cold ? ["--no-code-cache"] : []),
        ...(options.mallocInfo ? ["--allow-ffi"] : []),
      ],
    });
    const started = performance.now();
    // With no routes, the first probe's route is the first one served.
    if (options.routes > 0) {
      await probeUntilServed(target, `r-${options.routes - 1}.test`, started, 60_000);
    }
    for (let i = 0; i < options.probes; i++) {
      const host = `probe-${i}.test`;
      world.kube.apply(world.route(`probe-${i}`, host));
      await probeUntilServed(target, host, performance.now(), i === 0 ? 60_000 : 30_000);
    }
    const rss = [rssParts(gw.pid)];
    const lastHalf: RssParts[] = [];
    let halfway: number | undefined;
    let sampling: InspectorSession | undefined;
    const half = Math.floor(options.changes / 2);
    for (let i = 0; i < options.changes; i++) {
      const host = `moved-${i}.test`;
      world.kube.apply(world.route(`r-${i % Math.max(1, options.routes)}`, host));
      await probeUntilServed(target, host, performance.now());
      if (i + 1 === half) {
        rss.push(rssParts(gw.pid));
        // Beside the end's reading: heap kept per change (retention), not GC timing.
        if (inspect) halfway = await heapUsedAfterGc(inspectPort, snapshotPath(options, "half"));
        if (options.allocProfile) {
          sampling = await InspectorSession.connect(inspectPort);
          await startAllocSampling(sampling);
        }
      }
      if (i + 1 >= half && (i + 1 - half) % SAMPLE_EVERY === 0) lastHalf.push(rssParts(gw.pid));
    }
    if (options.settleMs) await new Promise((resolve) => setTimeout(resolve, options.settleMs));
    rss.push(rssParts(gw.pid));
    const allocations = sampling ? await stopAllocSampling(sampling) : undefined;
    sampling?.close();
    const metrics = await (await gw.admin("/metrics")).text();
    const heap = heapMiB(metrics);
    const run: MemoryRun = {
      rss,
      lastHalf,
      heap,
      spaces: heapSpacesMiB(metrics),
      committedSpaces: heapSpacesMiB(metrics, "total"),
      heapAfterGcHalfway: halfway,
      allocations,
    };
    if (inspect) {
      const inspector = await InspectorSession.connect(inspectPort);
      if (options.mallocInfo) run.malloc = await inspector.mallinfo();
      if (options.mallocInfo) {
        run.trimMs = await inspector.mallocTrim();
        run.afterTrim = rssParts(gw.pid);
        run.mallocAfterTrim = await inspector.mallinfo();
      }
      if (options.mallocInfo) {
        const dir = await Deno.makeTempDir();
        await inspector.mallocInfoXml(`${dir}/malloc_info.xml`);
        run.mallocHeaps = parseMallocInfo(await Deno.readTextFile(`${dir}/malloc_info.xml`));
        await Deno.remove(dir, { recursive: true });
      }
      const usage = await inspector.memoryAfterGc();
      run.afterGc = {
        rss: rssParts(gw.pid),
        heapUsed: usage.heapUsed / 1048576,
        heapTotal: usage.heapTotal / 1048576,
        external: usage.external / 1048576,
      };
      run.spacesAfterGc = heapSpacesMiB(await (await gw.admin("/metrics")).text());
      if (options.snapshotDir !== undefined) {
        run.snapshot =
          `${options.snapshotDir}/gateway-${options.routes}-${Date.now()}.heapsnapshot`;
        await inspector.writeHeapSnapshot(run.snapshot);
      }
      inspector.close();
    }
    run.trims = gw.logRecords().filter((r) => r.msg === TRIM_MESSAGE).map((r) => Number(r.ms));
    await gw.stop();
    return run;
  } finally {
    client.close();
    await world.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/** `nodejs_heap_space_size_used_bytes` (or `_total_`) by space, MiB; spaces under 0.05 MiB left out. */
function heapSpacesMiB(metrics: string, which: "used" | "total" = "used"): Record<string, number> {
  const spaces: Record<string, number> = {};
  const line = new RegExp(
    `^nodejs_heap_space_size_${which}_bytes\\{space="(\\w+)"\\} (\\S+)$`,
    "gm",
  );
  for (const [, space, bytes] of metrics.matchAll(line)) {
    const mib = Number(bytes) / 1048576;
    if (mib >= 0.05) spaces[space] = mib;
  }
  return spaces;
}

function snapshotPath(options: MemoryOptions, label: string): string | undefined {
  if (options.snapshotDir === undefined) return undefined;
  return `${options.snapshotDir}/gateway-${options.routes}-${label}-${Date.now()}.heapsnapshot`;
}

/** Heap used after a full GC, MiB; with `snapshot`, a heap snapshot written there too. */
async function heapUsedAfterGc(port: number, snapshot?: string): Promise<number> {
  const inspector = await InspectorSession.connect(port);
  try {
    const used = (await inspector.memoryAfterGc()).heapUsed / 1048576;
    if (snapshot !== undefined) await inspector.writeHeapSnapshot(snapshot);
    return used;
  } finally {
    inspector.close();
  }
}

function envFlags(): Record<string, string> {
  const env: Record<string, string> = {};
  Deno.args.forEach((arg, i) => {
    if (arg !== "--env") return;
    const [name, ...value] = (Deno.args[i + 1] ?? "").split("=");
    env[name] = value.join("=");
  });
  return env;
}

function print(build: string, options: MemoryOptions, run: MemoryRun, load: string): void {
  const f = (n: number) => n.toFixed(1);
  console.log(
    `${build}: routes ${options.routes}, ${options.probes} probes, ${options.changes} changes` +
      `${options.v8Flags ? `, --v8-flags=${options.v8Flags}` : ""}` +
      `${Object.keys(options.env ?? {}).length ? `, env ${JSON.stringify(options.env)}` : ""}` +
      `${options.inspect ? ", inspector listening" : ""}${options.cold ? ", no code cache" : ""}` +
      ` (load average ${load}):`,
  );
  const labels = ["after probes", "after half the changes", "after all changes"];
  run.rss.forEach((p, i) => console.log(`  RSS MiB ${labels[i]}: ${formatRssParts(p)}`));
  if (run.lastHalf.length > 0) {
    const stat = (part: (p: RssParts) => number) => {
      const values = run.lastHalf.map(part);
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      return `${f(mean)}/${f(Math.min(...values))}/${f(Math.max(...values))}`;
    };
    console.log(
      `  over the last half (${run.lastHalf.length} readings), mean/min/max MiB: ` +
        `RSS ${stat((p) => p.total)}, malloc (brk + arenas) ${stat((p) => p.brk + p.arenas)}, ` +
        `anon ${stat((p) => p.anon)}`,
    );
  }
  console.log(`  V8 heap used ${f(run.heap.used)} of ${f(run.heap.total)} MiB committed`);
  const spaces = Object.entries(run.spaces).map(([space, mib]) => `${space} ${f(mib)}`);
  console.log(`  V8 heap used by space, MiB: ${spaces.join(", ")}`);
  const committed = Object.entries(run.committedSpaces).map(([space, mib]) => `${space} ${f(mib)}`);
  console.log(`  V8 heap committed by space, MiB: ${committed.join(", ")}`);
  if (run.afterGc) {
    const g = run.afterGc;
    if (run.heapAfterGcHalfway !== undefined) {
      console.log(`  V8 heap used after a full GC halfway: ${f(run.heapAfterGcHalfway)} MiB`);
    }
    console.log(
      `  after a full GC: RSS ${formatRssParts(g.rss)}; V8 heap used ${f(g.heapUsed)} of ` +
        `${f(g.heapTotal)} MiB, external ${f(g.external)} MiB`,
    );
  }
  if (run.spacesAfterGc) {
    const after = Object.entries(run.spacesAfterGc).map(([space, mib]) => `${space} ${f(mib)}`);
    console.log(`  V8 heap used by space after the full GC, MiB: ${after.join(", ")}`);
  }
  if (run.trims && run.trims.length > 0) {
    const sorted = [...run.trims].sort((a, b) => a - b);
    console.log(
      `  the gateway's trims of glibc's heaps after rebuilds: ${sorted.length}, median ` +
        `${sorted[Math.floor(sorted.length / 2)].toFixed(2)} ms, max ${
          sorted.at(-1)!.toFixed(2)
        } ms`,
    );
  }
  if (run.snapshot) console.log(`  heap snapshot: ${run.snapshot}`);
  if (run.malloc) {
    const m = run.malloc;
    const mib = (n: number) => f(n / 1048576);
    console.log(
      `  glibc (mallinfo2, before the GC) MiB: from the system ${mib(m.arena)} + mapped alone ` +
        `${mib(m.mmapped)}; in use ${mib(m.inUse)}, free but kept ${mib(m.free)} ` +
        `(trimmable top ${mib(m.topFree)})`,
    );
  }
  if (run.afterTrim && run.mallocAfterTrim) {
    const m = run.mallocAfterTrim;
    const rss = formatRssParts(run.afterTrim);
    console.log(
      `  after malloc_trim(0) (${run.trimMs?.toFixed(2)} ms): RSS ${rss}; glibc in use ` +
        `${f(m.inUse / 1048576)}, free but kept ${f(m.free / 1048576)} MiB`,
    );
  }
  for (const line of formatMallocHeaps(run.mallocHeaps ?? [])) console.log(`  glibc ${line} MiB`);
  if (run.allocations) {
    printAllocProfile(run.allocations, options.changes - Math.floor(options.changes / 2));
  }
}

if (import.meta.main) {
  const options: MemoryOptions = {
    routes: Number(flag("routes", "5000")),
    probes: Number(flag("probes", "30")),
    changes: Number(flag("changes", "1000")),
    inspect: Deno.args.includes("--inspect"),
    snapshotDir: Deno.args.includes("--snapshot") ? flag("snapshot", ".") : undefined,
    allocProfile: Deno.args.includes("--alloc-profile"),
    mallocInfo: Deno.args.includes("--malloc-info"),
    v8Flags: Deno.args.includes("--v8-flags") ? flag("v8-flags", "") : undefined,
    env: envFlags(),
    cold: Deno.args.includes("--cold"),
    logLevel: flag("log-level", "info"),
    settleMs: Number(flag("settle", "0")) * 1000,
  };
  const mains = Deno.args.includes("--main") ? flag("main", "").split(",") : [];
  const builds = await benchBuilds(mains, bundleChoice(Deno.args));
  for (let i = 0; i < Number(flag("runs", "1")); i++) {
    for (const build of builds) {
      const run = await runMemory({ ...options, mainPath: build.mainPath });
      print(build.name, options, run, Deno.loadavg().map((n) => n.toFixed(2)).join(" "));
      if (run.snapshot) {
        const { printLayers } = await import("./_heap_layers.ts");
        printLayers(run.snapshot);
        const { printLargeObjects } = await import("./_heap_large.ts");
        printLargeObjects(run.snapshot);
      }
    }
  }
}
