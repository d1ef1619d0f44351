/**
 * `deno task bench`: the gateway against nginx as a reverse proxy, on the
 * same loopback backend (nginx, one worker, fixed tiny response).
 *
 * It starts the backend, the gateway as the real process (`main.ts run
 * --manifests <tmp>`), and nginx (one worker, upstream keepalive) in front of
 * the same backend; runs wrk against each after a warm-up; prints req/s,
 * p50/p99 and the gateway/nginx ratio; and fails when any run saw non-2xx
 * responses or socket errors. `--clients` also compares the pooled HTTP/1.1
 * client with a pooled `fetch` client on the same handler
 * (`bench/_gateway_server.ts`). Everything binds 127.0.0.1 and every child
 * is killed at the end, also on failure.
 *
 * ```sh
 * deno task bench [--duration 10s] [--connections 50] [--threads 2] [--warmup 3s] [--clients]
 * ```
 * @module
 */
// deno-lint-ignore-file no-console
import { type Child, freePort, runWrk, spawn, waitFor200, type WrkResult } from "./_processes.ts";

function flag(name: string, fallback: string): string {
  const at = Deno.args.indexOf(`--${name}`);
  return at === -1 ? fallback : Deno.args[at + 1];
}

const duration = flag("duration", "10s");
const warmup = flag("warmup", "3s");
const connections = flag("connections", "50");
const threads = flag("threads", "2");
const compareClients = Deno.args.includes("--clients");
const root = new URL("..", import.meta.url).pathname;

for (const tool of ["nginx", "wrk"]) {
  const found = await new Deno.Command("sh", { args: ["-c", `command -v ${tool}`], stdout: "null" })
    .output();
  if (!found.success) {
    console.error(`Cannot run the benchmark: ${tool} is not installed`);
    Deno.exit(2);
  }
}

const dir = await Deno.makeTempDir({ prefix: "serval-bench-" });
const children: Child[] = [];
let failed = false;
try {
  const backendPort = freePort();
  const nginxPort = freePort();
  const gatewayPort = freePort();
  const adminPort = freePort();
  const template = await Deno.readTextFile(new URL("nginx.conf.template", import.meta.url));

  const startNginx = async (role: string, port: number, location: string): Promise<void> => {
    const conf = template
      .replaceAll("{{DIR}}", dir)
      .replaceAll("{{ROLE}}", role)
      .replaceAll("{{PORT}}", String(port))
      .replaceAll("{{BACKEND_PORT}}", String(backendPort))
      .replaceAll("{{LOCATION}}", location);
    const path = `${dir}/nginx-${role}.conf`;
    await Deno.writeTextFile(path, conf);
    children.push(
      spawn(`nginx ${role}`, "nginx", [
        "-p",
        dir,
        "-c",
        path,
        "-e",
        `${dir}/nginx-${role}-startup.log`,
      ]),
    );
  };

  await startNginx(
    "backend",
    backendPort,
    'default_type text/plain; return 200 "hello from the bench backend\\n";',
  );
  await startNginx(
    "proxy",
    nginxPort,
    [
      "proxy_pass http://bench_backend;",
      "proxy_http_version 1.1;",
      'proxy_set_header Connection "";',
      "proxy_set_header Host $http_host;",
      "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
      "proxy_set_header X-Forwarded-Proto $scheme;",
      "proxy_set_header X-Forwarded-Host $http_host;",
    ].join("\n      "),
  );

  const manifests = `${dir}/manifests`;
  await Deno.mkdir(manifests);
  await Deno.writeTextFile(`${manifests}/bench.yaml`, benchManifests(gatewayPort, backendPort));
  children.push(spawn("gateway", Deno.execPath(), [
    "run",
    "--allow-net",
    "--allow-read",
    "--allow-env",
    "--allow-sys",
    `${root}main.ts`,
    "run",
    "--manifests",
    manifests,
    "--listen-host",
    "127.0.0.1",
    "--admin-addr",
    `127.0.0.1:${adminPort}`,
    "--telemetry-addr",
    "off",
    "--log-level",
    "warn",
  ]));

  const targets: { name: string; url: string }[] = [
    { name: "backend (direct)", url: `http://127.0.0.1:${backendPort}/bench` },
    { name: "nginx proxy", url: `http://127.0.0.1:${nginxPort}/bench` },
    { name: "gateway (main.ts)", url: `http://127.0.0.1:${gatewayPort}/bench` },
  ];
  if (compareClients) {
    for (const client of ["own", "fetch"]) {
      const port = freePort();
      children.push(spawn(`bench gateway (${client})`, Deno.execPath(), [
        "run",
        "--allow-net",
        `${root}bench/_gateway_server.ts`,
        "--port",
        String(port),
        "--backend-port",
        String(backendPort),
        "--client",
        client,
      ]));
      targets.push({
        name: `handler + ${client === "own" ? "HTTP/1.1 pool" : "fetch pool"}`,
        url: `http://127.0.0.1:${port}/bench`,
      });
    }
  }
  for (const t of targets) await waitFor200(t.url);

  const results = new Map<string, WrkResult>();
  for (const t of targets) {
    await runWrk(t.url, ["-t", threads, "-c", connections, "-d", warmup]);
    const r = await runWrk(t.url, ["-t", threads, "-c", connections, "-d", duration]);
    results.set(t.name, r);
    if (r.non2xx > 0 || r.socketErrors > 0 || !(r.requestsPerSec > 0)) {
      failed = true;
      console.error(
        `${t.name}: ${r.non2xx} non-2xx responses, ${r.socketErrors} socket errors\n${r.raw}`,
      );
    }
  }

  console.log(
    `wrk -t${threads} -c${connections} -d${duration} (after ${warmup} warm-up), 127.0.0.1\n`,
  );
  console.log(
    "target".padEnd(28) + "req/s".padStart(10) + "p50 ms".padStart(10) + "p99 ms".padStart(10),
  );
  for (const [name, r] of results) {
    console.log(
      name.padEnd(28) + r.requestsPerSec.toFixed(0).padStart(10) + r.p50Ms.toFixed(2).padStart(10) +
        r.p99Ms.toFixed(2).padStart(10),
    );
  }
  const nginx = results.get("nginx proxy")!.requestsPerSec;
  const gateway = results.get("gateway (main.ts)")!.requestsPerSec;
  console.log(`\ngateway / nginx = ${(gateway / nginx).toFixed(2)}x`);
  if (compareClients) {
    const own = results.get("handler + HTTP/1.1 pool")!.requestsPerSec;
    const viaFetch = results.get("handler + fetch pool")!.requestsPerSec;
    console.log(
      `HTTP/1.1 pool / nginx = ${(own / nginx).toFixed(2)}x, fetch pool / nginx = ${
        (viaFetch / nginx).toFixed(2)
      }x`,
    );
  }
} catch (error) {
  failed = true;
  console.error(`Benchmark failed: ${(error as Error).message}`);
  for (const c of children) {
    const tail = (c as unknown as { stderrTail: string }).stderrTail;
    if (tail) console.error(`--- ${c.name} stderr ---\n${tail}`);
  }
} finally {
  await Promise.allSettled(children.map((c) => c.stop()));
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}
Deno.exit(failed ? 1 : 0);

function benchManifests(gatewayPort: number, backendPort: number): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: serval
spec:
  controllerName: gateway.serval.dev/controller
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: bench
  namespace: default
spec:
  gatewayClassName: serval
  listeners:
    - name: http
      protocol: HTTP
      port: ${gatewayPort}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: bench
  namespace: default
spec:
  parentRefs:
    - name: bench
  rules:
    - backendRefs:
        - name: backend
          port: 80
---
apiVersion: v1
kind: Service
metadata:
  name: backend
  namespace: default
spec:
  ports:
    - name: http
      port: 80
      targetPort: ${backendPort}
      protocol: TCP
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: backend-1
  namespace: default
  labels:
    kubernetes.io/service-name: backend
addressType: IPv4
ports:
  - name: http
    port: ${backendPort}
    protocol: TCP
endpoints:
  - addresses: ["127.0.0.1"]
    conditions:
      ready: true
`;
}
