/**
 * What learning each connection's SNI costs: the same HTTPS port served by
 * `serveTlsPort` with `sniSource: "client-hello"` (ClientHello relay through
 * loopback) and with `"first-request"` (public TLS listener, no relay), in
 * alternating rounds, each a child process answering a fixed body. Reports
 * the median req/s and the server's CPU time per request (from
 * `/proc/<pid>/stat`, so the load generator's CPU is not counted).
 *
 * ```sh
 * deno run -A bench/tls_sni_bench.ts [--rounds 3] [--requests 30000] [--handshakes 2000] [--connections 20]
 * ```
 * @module
 */
// deno-lint-ignore-file no-console
import { flag } from "./_flags.ts";
import { createTestCa } from "../tests/_helpers/certs.ts";
import { type Child, freePort, spawn } from "./_processes.ts";

const rounds = Number(flag("rounds", "3"));
const requests = flag("requests", "30000");
const handshakes = flag("handshakes", "2000");
const connections = flag("connections", "20");
const NAME = "bench.example.com";
const TICKS_PER_SECOND = 100; // USER_HZ on Linux

function cpuTicks(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]); // utime + stime
}

async function h2load(port: number, args: string[]) {
  const output = await new Deno.Command("h2load", {
    args: [...args, "--connect-to", `127.0.0.1:${port}`, `https://${NAME}:${port}/`],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const raw = new TextDecoder().decode(output.stdout);
  return {
    rate: Number(raw.match(/finished in [^,]+, ([\d.]+) req\/s/)?.[1] ?? NaN),
    succeeded: Number(raw.match(/(\d+) succeeded/)?.[1] ?? 0),
    failed: Number(raw.match(/(\d+) failed/)?.[1] ?? NaN),
  };
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  throw new Error(`Cannot reach the bench server: port ${port} never opened`);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

await using ca = await createTestCa();
const dir = await Deno.makeTempDir({ prefix: "serval-sni-bench-" });
const children: Child[] = [];
let failed = false;
try {
  const leaf = await ca.issue([NAME]);
  await Deno.writeTextFile(`${dir}/tls.crt`, leaf.certPem);
  await Deno.writeTextFile(`${dir}/tls.key`, leaf.keyPem);
  const server = new URL("./_tls_sni_server.ts", import.meta.url).pathname;
  const modes = ["first-request", "client-hello"] as const;
  const targets = modes.map((mode) => {
    const port = freePort();
    const child = spawn(mode, Deno.execPath(), [
      "run",
      "--allow-net",
      "--allow-read",
      server,
      mode,
      String(port),
      `${dir}/tls.crt`,
      `${dir}/tls.key`,
    ]);
    children.push(child);
    return { mode, port, pid: child.process.pid };
  });
  for (const t of targets) await waitForPort(t.port);
  const shapes = [
    { name: "new connections", args: ["--h1", "-n", handshakes, "-H", "Connection: close"] },
    { name: "keep-alive h1", args: ["--h1", "-n", requests] },
    { name: "keep-alive h2", args: ["-n", requests, "-m", "10"] },
  ];
  const results = new Map<string, { rates: number[]; cpu: number[] }>();
  for (let round = 0; round < rounds; round++) {
    for (const shape of shapes) {
      for (const t of round % 2 === 0 ? targets : [...targets].reverse()) {
        const before = cpuTicks(t.pid);
        const r = await h2load(t.port, [...shape.args, "-c", connections]);
        const ticks = cpuTicks(t.pid) - before;
        if (!(r.rate > 0) || r.failed > 0) {
          failed = true;
          console.error(`${t.mode} / ${shape.name}: ${r.failed} failed`);
        }
        const key = `${shape.name}|${t.mode}`;
        const entry = results.get(key) ?? { rates: [], cpu: [] };
        entry.rates.push(r.rate);
        entry.cpu.push((ticks / TICKS_PER_SECOND) * 1e6 / Math.max(1, r.succeeded));
        results.set(key, entry);
      }
    }
  }
  console.log(`h2load -c ${connections}, ${rounds} alternating rounds, medians, 127.0.0.1\n`);
  console.log(
    "shape".padEnd(18) + "sniSource".padEnd(16) + "req/s".padStart(10) +
      "server CPU µs/req".padStart(20),
  );
  for (const shape of shapes) {
    for (const mode of modes) {
      const e = results.get(`${shape.name}|${mode}`)!;
      console.log(
        shape.name.padEnd(18) + mode.padEnd(16) + median(e.rates).toFixed(0).padStart(10) +
          median(e.cpu).toFixed(0).padStart(20),
      );
    }
  }
} catch (error) {
  failed = true;
  console.error(`SNI benchmark failed: ${(error as Error).message}`);
} finally {
  await Promise.allSettled(children.map((c) => c.stop()));
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}
if (failed) Deno.exit(1);
