/**
 * HTTP/2 without TLS: h2load speaking h2c by prior knowledge to the
 * gateway's plain HTTP port (our HTTP/2 server, the preface read by the
 * port's HTTP/1.1 server) and to nginx (`listen ... http2`, one worker),
 * both proxying to the same nginx backend (its own process, fixed tiny
 * response) over kept-alive HTTP/1.1. Beside `tls_bench.ts --shapes h2` it
 * says how much of the HTTPS HTTP/2 gap is TLS and how much is HTTP/2.
 * Alternating rounds; prints per target the median req/s and CPU a request
 * of its process tree; exits 1 when a run saw failed or non-2xx requests.
 * `--baseline DIR` adds a gateway from another checkout to the same rounds.
 *
 * ```sh
 * deno run -A bench/h2_cleartext_bench.ts [--requests 20000] [--connections 20] [--streams 10] [--rounds 5] [--baseline DIR]
 * ```
 * @module
 */
// deno-lint-ignore-file no-console
import { type Child, freePort, spawn, treeCpuSeconds, waitFor200 } from "./_processes.ts";
import { benchManifests } from "./_proxy_manifests.ts";
import { flag, gatewayRunArgs, nginxHttpHead, reportFailure, startNginx } from "./_bench_setup.ts";
import { h2load } from "./_h2load.ts";
import { median } from "./_rounds.ts";

const requests = flag("requests", "20000");
const connections = flag("connections", "20");
const streams = flag("streams", "10");
const rounds = Number(flag("rounds", "5"));
const baseline = flag("baseline", "");
const root = new URL("..", import.meta.url).pathname;

const dir = await Deno.makeTempDir({ prefix: "serval-h2c-client-bench-" });
const children: Child[] = [];
let failed = false;
try {
  const [backendPort, nginxPort] = [freePort(), freePort()];
  const conf = (role: string, servers: string) => nginxHttpHead(dir, role) + servers + "\n}\n";
  children.push(startNginx(
    dir,
    "backend",
    conf(
      "backend",
      `server { listen 127.0.0.1:${backendPort};
    location / { default_type text/plain; return 200 "hello from the bench backend\\n"; } }`,
    ),
  ));
  const nginx = startNginx(
    dir,
    "h2c",
    conf(
      "h2c",
      `upstream keep { server 127.0.0.1:${backendPort}; keepalive 64; }
  server { listen 127.0.0.1:${nginxPort} http2; location / {
    proxy_pass http://keep; proxy_http_version 1.1; proxy_set_header Connection "";
    proxy_set_header Host $http_host;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto $scheme; } }`,
    ),
  );
  children.push(nginx);
  const startGateway = async (name: string, checkout: string) => {
    const port = freePort();
    await Deno.mkdir(`${dir}/m-${port}`);
    await Deno.writeTextFile(
      `${dir}/m-${port}/bench.yaml`,
      benchManifests(port, backendPort),
    );
    const child = spawn(
      name,
      Deno.execPath(),
      gatewayRunArgs({
        checkout,
        manifests: `${dir}/m-${port}`,
        denoFlags: ["--allow-net", "--allow-read", "--allow-env", "--allow-sys"],
        args: ["--drain-delay", "0s"],
      }),
    );
    children.push(child);
    await waitFor200(`http://127.0.0.1:${port}/bench`);
    return { name, port, pid: child.process.pid };
  };
  const targets = [
    { name: "nginx h2c", port: nginxPort, pid: nginx.process.pid },
    await startGateway("gateway h2c", root),
  ];
  if (baseline !== "") {
    targets.push(await startGateway("baseline h2c", baseline.replace(/\/?$/, "/")));
  }
  const url = (port: number) => `http://127.0.0.1:${port}/bench`;
  const args = ["-n", requests, "-c", connections, "-m", streams];
  for (const t of targets) {
    await h2load(url(t.port), t.port, ["-n", "2000", "-c", connections, "-m", streams]);
  }
  const runs = new Map(targets.map((t) => [t.name, [] as { rps: number; us: number }[]]));
  for (let round = 0; round < rounds; round++) {
    for (const t of targets.map((_, i) => targets[(i + round) % targets.length])) {
      const before = await treeCpuSeconds(t.pid);
      const r = await h2load(url(t.port), t.port, args);
      const after = await treeCpuSeconds(t.pid);
      if (!(r.requestsPerSec > 0) || r.failed > 0 || r.non2xx > 0) {
        failed = true;
        console.error(`${t.name}: failed=${r.failed} non2xx=${r.non2xx}\n${r.raw}`);
      }
      runs.get(t.name)!.push({ rps: r.requestsPerSec, us: (after - before) * 1e6 / r.succeeded });
    }
  }
  console.log(
    `h2load h2c -c ${connections} -m ${streams}, ${rounds} alternating rounds, medians\n`,
  );
  console.log("target".padEnd(16) + "req/s".padStart(10) + "CPU µs/req".padStart(14));
  const nginxRuns = runs.get("nginx h2c")!;
  for (const [name, rs] of runs) {
    const ratio = median(rs.map((r, i) => r.rps / nginxRuns[i].rps)).toFixed(2);
    console.log(
      name.padEnd(16) + median(rs.map((r) => r.rps)).toFixed(0).padStart(10) +
        median(rs.map((r) => r.us)).toFixed(1).padStart(14) + `   ${ratio}x nginx`,
    );
  }
} catch (error) {
  failed = true;
  reportFailure("h2c client benchmark", error, children);
} finally {
  await Promise.allSettled(children.map((c) => c.stop()));
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}
if (failed) Deno.exit(1);
