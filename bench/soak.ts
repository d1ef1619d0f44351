/**
 * `deno task soak`: the gateway under steady load while its world changes.
 * wrk loads the HTTP listener; meanwhile the HTTPRoute is rewritten every
 * 200 ms (a header value the backend echoes), the endpoints roll every 2 s
 * (a new backend started, the oldest removed and stopped once the gateway
 * serves the new set) and the HTTPS certificate is replaced every 10 s by one
 * from a new CA. A prober beside wrk checks every answer (status, backend,
 * generation) and an HTTPS prober which certificate is served. The gateway's
 * RSS is sampled every 5 s.
 *
 * ```sh
 * deno task soak                      # 10 minutes
 * deno task soak --duration 2m        # shorter
 * deno task soak --until 20           # until 20 rewrites, rolls and rotations were seen served
 * deno task soak --connections 32     # wrk connections (default 16)
 * ```
 * Prints requests, non-2xx answers, errors, RSS samples and the RSS slope
 * (MiB/min, least squares over the last half); exits 1 on any non-2xx, error,
 * a change never seen served, or a slope above `--max-slope` (default 1 MiB/min; judged
 * only on runs of 5 minutes or more, the first minutes being warm-up).
 * @module
 */
// deno-lint-ignore-file no-console
import { maybeFlag } from "./_flags.ts";
import { parseFlagDuration } from "../src/cli/duration.ts";
import { startGateway } from "../tests/_helpers/gateway_process.ts";
import { mib, processRss } from "./_hostile.ts";
import { freePorts } from "../tests/_helpers/gateway_process.ts";
import { SOAK_HOST, SoakWorld } from "./_soak_world.ts";
import { startProbers } from "./_soak_probe.ts";

const durationMs = parseFlagDuration(maybeFlag("duration") ?? "10m") ?? 600_000;
const until = maybeFlag("until") === undefined ? undefined : Number(maybeFlag("until"));
const connections = Number(maybeFlag("connections") ?? 16);
const maxSlope = Number(maybeFlag("max-slope") ?? 1);

const [httpPort, httpsPort] = freePorts(2);
const world = await SoakWorld.create(httpPort, httpsPort);
await using gw = await startGateway({ manifests: world.dir, args: ["--log-level", "info"] });
const rss: { atMs: number; bytes: number }[] = [];
const started = performance.now();
const sampleRss = async () => {
  rss.push({ atMs: performance.now() - started, bytes: await processRss(gw.pid) });
};
await sampleRss();

// wrk runs longer than needed and is stopped with SIGINT, which makes it print its report.
const wrk = new Deno.Command("wrk", {
  args: [
    "-t1",
    `-c${connections}`,
    `-d${Math.ceil((until === undefined ? durationMs : 3_600_000) / 1000) + 60}s`,
    "-H",
    `Host: ${SOAK_HOST}`,
    `http://127.0.0.1:${httpPort}/soak`,
  ],
  stdout: "piped",
  stderr: "piped",
}).spawn();
const probers = startProbers(world);

const stop = new AbortController();
const every = (ms: number, action: () => Promise<unknown>) =>
  (async () => {
    while (!stop.signal.aborted) {
      await new Promise((resolve) => setTimeout(resolve, ms));
      if (!stop.signal.aborted) await action();
    }
  })();
const changes = [
  every(200, () => world.rewriteRoute()),
  every(2_000, async () => {
    const { index, retired } = await world.rollEndpoints();
    if (retired === undefined) return;
    // Drained: the new backend answered, so the table without the retired one is served.
    await probers.waitForBackend(`soak-${index}`, stop.signal);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await retired.close();
  }),
  every(10_000, async () => {
    const ca = await world.rotateCertificate();
    await probers.waitForCertificate(ca, world.rotations, stop.signal);
  }),
  every(5_000, sampleRss),
];

const finished = () => {
  const seen = probers.seen();
  if (until !== undefined) {
    return seen.generation >= until && seen.roll >= until && seen.rotation >= until;
  }
  return performance.now() - started >= durationMs;
};
while (!finished()) {
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  if (probers.seen().errors.length > 100) break;
}
stop.abort();
await Promise.all(changes);
wrk.kill("SIGINT");
const wrkOut = await wrk.output();
await probers.stop();
await sampleRss();
const report = new TextDecoder().decode(wrkOut.stdout) + new TextDecoder().decode(wrkOut.stderr);
await gw.stop(60_000);
await world.close();

const wrkRequests = Number(/(\d+) requests in/.exec(report)?.[1] ?? NaN);
const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(report)?.[1] ?? 0);
const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(report);
const socketErrors = socket ? socket.slice(1).reduce((n, v) => n + Number(v), 0) : 0;
const seen = probers.seen();
const half = rss.filter((s) => s.atMs >= rss[rss.length - 1].atMs / 2);
const slope = slopeMiBPerMinute(half);
const minutes = (performance.now() - started) / 60_000;

console.log(`soak: ${minutes.toFixed(1)} min, wrk -c${connections} on :${httpPort}`);
console.log(
  `wrk: ${wrkRequests} requests, ${non2xx} non-2xx, socket errors ${socket?.[0] ?? "none"}`,
);
console.log(
  `prober: ${seen.requests} HTTP requests, ${seen.https} HTTPS checks, ${seen.errors.length} ` +
    `unexpected answers or errors${seen.errors.length > 0 ? ":" : ""}`,
);
for (const error of seen.errors.slice(0, 10)) console.log(`  ${error}`);
console.log(
  `changes written: ${world.generation} route rewrites, ${world.rolls} endpoint rolls, ` +
    `${world.rotations} certificate rotations; seen served: generation ${seen.generation}, ` +
    `roll ${seen.roll}, rotation ${seen.rotation}`,
);
console.log(`RSS MiB: ${rss.map((s) => mib(s.bytes)).join(" ")}`);
// The first minutes are warm-up (code compiled, pools and caches filled): too short a run has no slope.
const judged = minutes >= 5;
console.log(
  `RSS slope over the last half: ${slope.toFixed(2)} MiB/min (limit ${maxSlope}${
    judged ? "" : "; not judged under 5 minutes"
  })`,
);

const failures: string[] = [];
if (non2xx > 0) failures.push(`${non2xx} non-2xx answers to wrk`);
if (socketErrors > 0) failures.push(`wrk socket errors: ${socket?.[0]}`);
if (seen.errors.length > 0) failures.push(`${seen.errors.length} prober errors`);
if (seen.generation < world.generation - 50) failures.push("route rewrites were not served");
if (seen.roll < world.rolls - 2) failures.push("endpoint rolls were not served");
if (seen.rotation < world.rotations - 1) failures.push("certificate rotations were not served");
if (judged && !(slope <= maxSlope)) failures.push(`RSS slope ${slope.toFixed(2)} MiB/min`);
console.log(failures.length === 0 ? "soak: PASS" : `soak: FAIL (${failures.join("; ")})`);
Deno.exit(failures.length === 0 ? 0 : 1);

/** Least-squares slope of RSS over time, MiB per minute. */
function slopeMiBPerMinute(samples: { atMs: number; bytes: number }[]): number {
  if (samples.length < 2) return NaN;
  const xs = samples.map((s) => s.atMs / 60_000);
  const ys = samples.map((s) => s.bytes / 1048576);
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < xs.length; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den === 0 ? NaN : num / den;
}
