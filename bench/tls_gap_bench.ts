/**
 * Where the HTTPS gap to nginx lies, in one run of alternating rounds:
 *
 * - the TLS engine's ceiling: `Deno.serve` with one certificate answering a
 *   fixed body, against nginx's TLS `return 200` (same certificate);
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
 * SNI `bench.example.com`. Prints per target the median req/s and the
 * serving process's CPU per request (steadier than req/s on a shared
 * machine), and per shape the ratios that decompose the gap. Exits 1 when a
 * run saw failed or non-2xx requests. Everything binds 127.0.0.1.
 *
 * ```sh
 * deno run -A bench/tls_gap_bench.ts [--requests 20000] [--handshakes 1500] [--connections 20] [--rounds 2]
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
  nginxBackendConf,
  nginxGapConf,
  type Run,
  runTarget,
} from "./_tls_gap_world.ts";

const requests = flag("requests", "20000");
const handshakes = flag("handshakes", "1500");
const connections = flag("connections", "20");
const rounds = Number(flag("rounds", "2"));
const root = new URL("..", import.meta.url).pathname;
const NAME = "bench.example.com";

interface GapTarget {
  name: string;
  port: number;
  pid: number;
  tls: boolean;
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
  const manifestDir = `${dir}/manifests`;
  await Deno.mkdir(manifestDir);
  await Deno.writeTextFile(
    `${manifestDir}/bench.yaml`,
    gapManifests(ports, NAME, leaf.certPem, leaf.keyPem),
  );
  const gateway = spawn(
    "gateway",
    Deno.execPath(),
    gatewayRunArgs({ checkout: root, manifests: manifestDir, denoFlags: ["-A"] }),
  );
  children.push(gateway);
  const gw = gateway.process.pid;
  const targets: GapTarget[] = [
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
  ];
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
  for (const shape of shapes) {
    const inShape = targets.filter((t) => t.tls || !shape.tlsOnly);
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
  }
} catch (error) {
  failed = true;
  reportFailure("TLS gap benchmark", error, children);
} finally {
  await Promise.allSettled(children.map((c) => c.stop()));
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}
if (failed) Deno.exit(1);
