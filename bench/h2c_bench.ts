/**
 * The h2c backend benchmark (`deno task bench --only h2c`): what proxying to
 * a cleartext HTTP/2 backend (`appProtocol: kubernetes.io/h2c`, the path
 * gRPC builds on) costs, against the fairest peers there are.
 *
 * Two backends, each in its own process, each with one fixed tiny
 * response: a bare `Deno.serve` (HTTP/1.1 and h2c by prior knowledge on one
 * port, so both upstream protocols reach the same server; a bare
 * `Deno.serve` outpaces every proxy here, see DESIGN.md) and nginx
 * (`listen ... http2`, cleartext HTTP/2). In front of them:
 *
 * - `gateway h2c`: the gateway, the Service port marked `kubernetes.io/h2c`
 *   (the `node:http2` upstream client, `upstream_h2.ts`);
 * - `gateway http1`: the gateway to the HTTP/1.1 port of the same backend
 *   (our own pooled HTTP/1.1 client);
 * - `nginx grpc_pass`: nginx reaches HTTP/2 backends only through
 *   `grpc_pass` (its `proxy_pass` speaks HTTP/1.x upstream), which forwards
 *   plain HTTP/2 exchanges as well as gRPC ones;
 * - `nginx proxy_pass`: nginx to the HTTP/1.1 port (keepalive), the peer of
 *   `proxy_bench.ts`;
 * - `gateway h2c>nginx` and `nginx grpc_pass>nginx`: the same two HTTP/2
 *   paths with nginx as the h2c backend (it answers 400 to a request that
 *   carries `Host` beside `:authority`, so this also checks that the
 *   gateway sends none).
 *
 * Clients speak HTTP/1.1 (wrk) to every proxy; only the upstream side
 * differs. Rounds alternate the order (see `proxy_bench.ts` for why); the
 * report gives the median req/s, latency and CPU per request of each target
 * and the ratios that matter. Exits 1 when a run saw errors or non-2xx.
 *
 * ```sh
 * deno run -A bench/h2c_bench.ts [--duration 10s] [--rounds 3] [--connections 50] [--threads 2] [--warmup 3s]
 * ```
 * @module
 */
// deno-lint-ignore-file no-console
import { flag, gatewayRunArgs, nginxHttpHead, reportFailure, startNginx } from "./_bench_setup.ts";
import {
  type Child,
  freePort,
  requirePositiveInteger,
  requireTools,
  spawn,
  waitFor200,
  type WrkResult,
} from "./_processes.ts";
import { benchManifests } from "./_proxy_manifests.ts";
import { cleanRun, printRounds, ratioLine, runRounds, type Target } from "./_rounds.ts";

const duration = flag("duration", "10s");
const warmup = flag("warmup", "3s");
const connections = flag("connections", "50");
const threads = flag("threads", "2");
const rounds = Number(flag("rounds", "3"));
const root = new URL("..", import.meta.url).pathname;

await requireTools("the benchmark", ["nginx", "wrk"]);
requirePositiveInteger("rounds", rounds);

const dir = await Deno.makeTempDir({ prefix: "serval-h2c-bench-" });
const children: Child[] = [];
let failed = false;
try {
  const backendPort = freePort();
  const nginxBackendPort = freePort();
  const grpcPassPort = freePort();
  const grpcPassNginxPort = freePort();
  const proxyPassPort = freePort();
  const nginx = (role: string, servers: string): number => {
    const child = startNginx(dir, role, nginxConf(dir, role, servers));
    children.push(child);
    return child.process.pid;
  };
  children.push(spawn("backend", Deno.execPath(), ["eval", backendScript(backendPort)]));
  nginx(
    "backend",
    `server {
    listen 127.0.0.1:${nginxBackendPort} http2;
    location / { default_type text/plain; return 200 "hello from the bench backend"; }
  }`,
  );
  const proxyPid = nginx(
    "proxy",
    `upstream h1 { server 127.0.0.1:${backendPort}; keepalive 64; }
  upstream h2 { server 127.0.0.1:${backendPort}; keepalive 64; }
  upstream h2nginx { server 127.0.0.1:${nginxBackendPort}; keepalive 64; }
  server {
    listen 127.0.0.1:${proxyPassPort};
    location / { proxy_pass http://h1; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
  server { listen 127.0.0.1:${grpcPassPort}; location / { grpc_pass grpc://h2; } }
  server { listen 127.0.0.1:${grpcPassNginxPort}; location / { grpc_pass grpc://h2nginx; } }`,
  );

  const startGateway = async (name: string, backendPort: number, appProtocol: string) => {
    const port = freePort();
    const manifests = `${dir}/manifests-${port}`;
    await Deno.mkdir(manifests);
    await Deno.writeTextFile(
      `${manifests}/bench.yaml`,
      benchManifests(port, backendPort, appProtocol || undefined),
    );
    const child = spawn(
      name,
      Deno.execPath(),
      gatewayRunArgs({ checkout: root, manifests, args: ["--drain-delay", "0s"] }),
    );
    children.push(child);
    return { name, url: `http://127.0.0.1:${port}/bench`, pid: child.process.pid };
  };

  const targets: Target[] = [
    await startGateway("gateway h2c", backendPort, "kubernetes.io/h2c"),
    { name: "nginx grpc_pass", url: `http://127.0.0.1:${grpcPassPort}/bench`, pid: proxyPid },
    await startGateway("gateway http1", backendPort, ""),
    { name: "nginx proxy_pass", url: `http://127.0.0.1:${proxyPassPort}/bench`, pid: proxyPid },
    await startGateway("gateway h2c>nginx", nginxBackendPort, "kubernetes.io/h2c"),
    {
      name: "nginx grpc_pass>nginx",
      url: `http://127.0.0.1:${grpcPassNginxPort}/bench`,
      pid: proxyPid,
    },
  ];
  await waitFor200(`http://127.0.0.1:${backendPort}/bench`);
  for (const t of targets) await waitFor200(t.url);

  const check = (name: string, r: WrkResult) => {
    failed = !cleanRun(name, r) || failed;
  };
  // Both nginx proxies share one worker: its CPU counts only while one of them runs.
  const results = await runRounds(targets, {
    wrkArgs: ["-t", threads, "-c", connections],
    warmup,
    duration,
    rounds,
    onRun: check,
  });

  console.log(
    `wrk -t${threads} -c${connections} -d${duration} x ${rounds} rounds ` +
      `(after ${warmup} warm-up), 127.0.0.1; one Deno.serve backend speaks HTTP/1.1 and h2c, ` +
      "an nginx backend h2c\n",
  );
  printRounds(results);
  console.log("");
  const ratio = (a: string, b: string) => console.log(ratioLine(results, a, b));
  ratio("gateway h2c", "nginx grpc_pass");
  ratio("gateway h2c", "gateway http1");
  ratio("nginx grpc_pass", "nginx proxy_pass");
  ratio("gateway http1", "nginx proxy_pass");
  ratio("gateway h2c>nginx", "nginx grpc_pass>nginx");
  if (failed) console.log("\nFAILED: some runs saw errors (see above)");
} catch (error) {
  failed = true;
  reportFailure("Benchmark", error, children);
} finally {
  await Promise.allSettled(children.map((c) => c.stop()));
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}
Deno.exit(failed ? 1 : 0);

function nginxConf(dir: string, role: string, servers: string): string {
  return nginxHttpHead(dir, role) + `  keepalive_timeout 75s;
  ${servers}
}
`;
}

function backendScript(port: number): string {
  return `const body = new TextEncoder().encode("hello from the bench backend\\n");
Deno.serve({ hostname: "127.0.0.1", port: ${port}, onListen() {} }, () =>
  new Response(body, { headers: { "content-type": "text/plain" } }));`;
}
