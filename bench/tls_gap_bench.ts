/**
 * Where the HTTPS gap to nginx lies, in one run of alternating rounds:
 *
 * - the TLS engine's ceiling: `Deno.serve` with one certificate answering a
 *   fixed body, against nginx's TLS `return 200` (same certificate);
 * - the runtime's proxy ceiling (`bench/_raw_proxy.ts`): `Deno.listen`, and
 *   `Deno.listenTls` with the same certificate, each with one read and one
 *   write per request each way and no HTTP objects: what Deno's sockets and
 *   TLS stack cost alone on a kept-alive connection;
 * - our HTTPS port server without proxying (`serveTlsPort`,
 *   `bench/_tls_sni_server.ts`): terminating directly (`first-request`, the
 *   way of one-listener ports) and through the ClientHello relay
 *   (`client-hello`, the way of multi-listener ports);
 * - the proxy path: the gateway's plain HTTP port against nginx proxying
 *   plain HTTP (`h1`'s figure, measured here beside the rest);
 * - the whole: the gateway's HTTPS port of one listener (direct) and of two
 *   listeners (relayed) against nginx proxying HTTPS; every proxy forwards to
 *   the same nginx backend (its own process, fixed tiny response).
 *
 * Shapes: HTTP/1.1 keep-alive, HTTP/2 (TLS targets only) and new
 * connections (`Connection: close`, TLS targets only), through h2load with
 * SNI `bench.example.com`. `--own-h1` adds a second gateway started with
 * `--http1-engine own` (our HTTP/1.1 server on its TLS connections);
 * `--shapes` and `--targets` keep the shapes and targets whose names contain
 * one of the comma-separated words; `--cpu-prof DIR` writes the gateways'
 * V8 CPU profiles there (read them with `bench/_cpu_profile.ts`).
 * Prints per target the median req/s and the
 * serving process's CPU per request (steadier than req/s on a shared
 * machine), and per shape the ratios that decompose the gap. Exits 1 when a
 * run saw failed or non-2xx requests. Everything binds 127.0.0.1.
 *
 * ```sh
 * deno run -A bench/tls_gap_bench.ts [--requests 20000] [--handshakes 1500] [--connections 20] [--rounds 2]
 *                                    [--own-h1] [--shapes h1,h2] [--targets nginx,raw,gateway] [--cpu-prof DIR]
 * ```
 * @module
 */
// deno-lint-ignore-file no-console
import { createTestCa } from "../tests/_helpers/certs.ts";
import { type Child, freePort, requirePositiveInteger, requireTools, spawn } from "./_processes.ts";
import { fewerRequests, waitForCurl200 } from "./_h2load.ts";
import { median } from "./_rounds.ts";
import { flag, gatewayRunArgs, reportFailure, startNginx } from "./_bench_setup.ts";
import {
  gapManifests,
  type GapPorts,
  nginxBackendConf,
  nginxGapConf,
  type Run,
  runTarget,
} from "./_tls_gap_world.ts";

const requests = flag("requests", "20000");
const handshakes = flag("handshakes", "1500");
const connections = flag("connections", "20");
const rounds = Number(flag("rounds", "2"));
const ownH1 = Deno.args.includes("--own-h1");
const cpuProf = flag("cpu-prof", "");
/** Whether `name` contains one of `--<list>`'s comma-separated words (all when absent). */
const picked = (list: string, name: string) => {
  const words = flag(list, "").split(",").filter((w) => w !== "");
  return words.length === 0 || words.some((w) => name.includes(w));
};
const root = new URL("..", import.meta.url).pathname;
const NAME = "bench.example.com";

interface GapTarget {
  name: string;
  port: number;
  pid: number;
  tls: boolean;
  /** Serves HTTP/1.1 keep-alive only (the raw proxies). */
  h1Only?: boolean;
}

await requireTools("the TLS gap benchmark", ["nginx", "h2load", "curl", "openssl"]);
requirePositiveInteger("rounds", rounds);

const dir = await Deno.makeTempDir({ prefix: "serval-tls-gap-" });
const children: Child[] = [];
let failed = false;
await using ca = await createTestCa();
try {
  const leaf = await ca.issue([NAME, "other.example.com"]);
  const [crt, key] = [`${dir}/tls.crt`, `${dir}/tls.key`];
  await Deno.writeTextFile(crt, leaf.certPem);
  await Deno.writeTextFile(key, leaf.keyPem);
  const ports = {
    backend: freePort(),
    nginxHello: freePort(),
    nginxPlain: freePort(),
    nginxTls: freePort(),
    denoServe: freePort(),
    direct: freePort(),
    relayed: freePort(),
    gwPlain: freePort(),
    gwDirect: freePort(),
    gwRelayed: freePort(),
    rawPlain: freePort(),
    rawTls: freePort(),
  };
  const nginx = (role: string, conf: string) => {
    const child = startNginx(dir, role, conf);
    children.push(child);
    return child.process.pid;
  };
  nginx("backend", nginxBackendConf(dir, ports));
  // The peer's pid is its master; the CPU count takes in its one worker.
  const ngx = nginx("peer", nginxGapConf(dir, crt, key, ports));
  const server = (name: string, mode: string, port: number) => {
    const child = spawn(name, Deno.execPath(), [
      "run",
      "-A",
      `${root}bench/_tls_sni_server.ts`,
      mode,
      String(port),
      crt,
      key,
    ]);
    children.push(child);
    return child.process.pid;
  };
  const raw = (name: string, port: number, tlsArgs: string[]) => {
    const child = spawn(name, Deno.execPath(), [
      "run",
      "-A",
      `${root}bench/_raw_proxy.ts`,
      "--port",
      String(port),
      "--backend-port",
      String(ports.backend),
      ...tlsArgs,
    ]);
    children.push(child);
    return child.process.pid;
  };
  /** A gateway serving the gap manifests on `gwPorts`; its pid. */
  const gateway = async (name: string, gwPorts: GapPorts, args: string[] = []) => {
    const manifestDir = `${dir}/manifests-${gwPorts.gwPlain}`;
    await Deno.mkdir(manifestDir);
    await Deno.writeTextFile(
      `${manifestDir}/bench.yaml`,
      gapManifests(gwPorts, NAME, leaf.certPem, leaf.keyPem),
    );
    const profile = cpuProf === "" ? [] : ["--cpu-prof", `--cpu-prof-dir=${cpuProf}`];
    const child = spawn(
      name,
      Deno.execPath(),
      gatewayRunArgs({
        checkout: root,
        manifests: manifestDir,
        denoFlags: ["-A", ...profile],
        // Exit at once on SIGTERM, so a CPU profile is written before the kill.
        args: ["--drain-delay", "0s", ...args],
      }),
    );
    children.push(child);
    return child.process.pid;
  };
  const gw = await gateway("gateway", ports);
  const own = { ...ports, gwPlain: freePort(), gwDirect: freePort(), gwRelayed: freePort() };
  const ownPid = ownH1 ? await gateway("gateway own h1", own, ["--http1-engine", "own"]) : 0;
  const all: GapTarget[] = [
    { name: "nginx TLS return 200", port: ports.nginxHello, pid: ngx, tls: true },
    {
      name: "Deno.serve TLS hello",
      port: ports.denoServe,
      pid: server("deno", "deno-serve", ports.denoServe),
      tls: true,
    },
    {
      name: "port server direct",
      port: ports.direct,
      pid: server("direct", "first-request", ports.direct),
      tls: true,
    },
    {
      name: "port server relayed",
      port: ports.relayed,
      pid: server("relayed", "client-hello", ports.relayed),
      tls: true,
    },
    { name: "nginx proxy plain", port: ports.nginxPlain, pid: ngx, tls: false },
    { name: "gateway plain", port: ports.gwPlain, pid: gw, tls: false },
    { name: "nginx proxy TLS", port: ports.nginxTls, pid: ngx, tls: true },
    { name: "gateway TLS direct", port: ports.gwDirect, pid: gw, tls: true },
    { name: "gateway TLS relayed", port: ports.gwRelayed, pid: gw, tls: true },
    {
      name: "raw proxy plain",
      port: ports.rawPlain,
      pid: raw("raw", ports.rawPlain, []),
      tls: false,
    },
    {
      name: "raw proxy TLS",
      port: ports.rawTls,
      pid: raw("raw TLS", ports.rawTls, ["--cert", crt, "--key", key]),
      tls: true,
      h1Only: true,
    },
    ...(ownH1
      ? [
        { name: "gateway own h1 plain", port: own.gwPlain, pid: ownPid, tls: false },
        { name: "gateway own h1 TLS direct", port: own.gwDirect, pid: ownPid, tls: true },
        { name: "gateway own h1 TLS relayed", port: own.gwRelayed, pid: ownPid, tls: true },
      ]
      : []),
  ];
  const targets = all.filter((t) => picked("targets", t.name));
  const url = (t: GapTarget) => `${t.tls ? "https" : "http"}://${NAME}:${t.port}/bench`;
  for (const t of targets) await waitForCurl200(url(t), NAME, t.port, `${ca.dir}/ca.crt`);

  const shapes = [
    { name: "keep-alive h1", tlsOnly: false, args: ["--h1", "-n", requests, "-c", connections] },
    { name: "keep-alive h2", tlsOnly: true, args: ["-n", requests, "-c", connections, "-m", "10"] },
    {
      name: "new connections",
      tlsOnly: true,
      args: ["--h1", "-n", handshakes, "-c", connections, "-H", "Connection: close"],
    },
  ];
  const load = () => Deno.loadavg().map((l) => l.toFixed(1)).join(" ");
  console.log(`load average at start: ${load()}`);
  for (const shape of shapes.filter((s) => picked("shapes", s.name))) {
    const inShape = targets.filter((t) => shape.tlsOnly ? t.tls && !t.h1Only : true);
    for (const t of inShape) await runTarget(url(t), t.port, t.pid, fewerRequests(shape.args, 10));
    const runs = new Map(inShape.map((t) => [t.name, [] as Run[]]));
    for (let round = 0; round < rounds; round++) {
      for (const t of inShape.map((_, i) => inShape[(i + round) % inShape.length])) {
        const run = await runTarget(url(t), t.port, t.pid, shape.args);
        if (run.bad) {
          failed = true;
          console.error(`${t.name} / ${shape.name}: ${run.bad}`);
        }
        runs.get(t.name)!.push(run);
      }
    }
    console.log(`\n${shape.name} (load average ${load()})`);
    for (const [name, rs] of runs) {
      const rps = median(rs.map((r) => r.rps)).toFixed(0).padStart(9);
      const cpu = median(rs.map((r) => r.cpuUs)).toFixed(0).padStart(6);
      console.log(`  ${name.padEnd(24)}${rps} req/s ${cpu} µs CPU/req`);
    }
    const ratio = (a: string, b: string) => {
      if (!runs.has(a) || !runs.has(b)) return;
      const each = runs.get(a)!.map((r, i) => r.rps / runs.get(b)![i].rps);
      const cpu = median(runs.get(b)!.map((r) => r.cpuUs)) /
        median(runs.get(a)!.map((r) => r.cpuUs));
      console.log(
        `  ${(a + " / " + b).padEnd(48)}${median(each).toFixed(2)}x req/s ` +
          `(rounds ${each.map((x) => x.toFixed(2)).join(" ")}), ${cpu.toFixed(2)}x CPU efficiency`,
      );
    };
    ratio("Deno.serve TLS hello", "nginx TLS return 200");
    ratio("port server direct", "Deno.serve TLS hello");
    ratio("port server relayed", "port server direct");
    ratio("gateway plain", "nginx proxy plain");
    ratio("gateway TLS direct", "nginx proxy TLS");
    ratio("gateway TLS relayed", "nginx proxy TLS");
    ratio("gateway TLS relayed", "gateway TLS direct");
    ratio("raw proxy TLS", "nginx proxy TLS");
    ratio("raw proxy TLS", "raw proxy plain");
    ratio("gateway TLS direct", "gateway plain");
    ratio("nginx proxy TLS", "nginx proxy plain");
    ratio("gateway TLS direct", "raw proxy TLS");
    ratio("gateway own h1 TLS direct", "nginx proxy TLS");
    ratio("gateway own h1 TLS relayed", "nginx proxy TLS");
    ratio("gateway own h1 TLS relayed", "gateway own h1 TLS direct");
    ratio("gateway own h1 TLS direct", "raw proxy TLS");
  }
} catch (error) {
  failed = true;
  reportFailure("TLS gap benchmark", error, children);
} finally {
  await Promise.allSettled(children.map((c) => c.stop()));
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}
if (failed) Deno.exit(1);
