/**
 * TLS Passthrough benchmark: the gateway (real process, `main.ts run`, a TLS
 * listener in Passthrough mode with one TLSRoute) against nginx `stream` with
 * `ssl_preread` (one worker, `proxy_pass` chosen by the SNI), both relaying
 * to the same TLS backend (nginx, one worker, terminating TLS). The same load
 * generator (h2load, SNI `bench.example.com` through `--connect-to`) asks
 * both, in alternating rounds; the median of each is printed with the
 * gateway/nginx ratio.
 *
 * Shapes:
 * - `new connections`: HTTP/1.1 with `Connection: close` for a tiny answer,
 *   so each request is a new TCP connection, a ClientHello read by the
 *   relay, a backend connect and a full TLS handshake with the backend;
 * - `bulk`: kept-alive connections each downloading an 8 MiB body many
 *   times (bytes relayed per second).
 *
 * Exits 1 when any run saw failed or non-2xx requests. Everything binds 127.0.0.1.
 *
 * ```sh
 * deno run -A bench/tls_passthrough_bench.ts [--rounds 3] [--handshakes 2000] [--downloads 200] [--connections 20]
 * ```
 * @module
 */
// deno-lint-ignore-file no-console
import { flag } from "./_flags.ts";
import { createTestCa } from "../tests/_helpers/certs.ts";
import { classAndGatewayYaml, loopbackServiceYaml } from "../scripts/manifests.ts";
import { median } from "./_rounds.ts";
import { type Child, freePort, missingTool, spawn } from "./_processes.ts";

const rounds = Number(flag("rounds", "3"));
const handshakes = flag("handshakes", "2000");
const downloads = flag("downloads", "200");
const connections = flag("connections", "20");
const root = new URL("..", import.meta.url).pathname;
const NAME = "bench.example.com";
const BULK_BYTES = 8 * 1024 * 1024;
const STREAM_MODULE = "/usr/lib/nginx/modules/ngx_stream_module.so";

/** One h2load run: requests per second and bytes per second. */
interface Run {
  requestsPerSec: number;
  bytesPerSec: number;
  failed: number;
  non2xx: number;
  raw: string;
}

async function h2load(port: number, path: string, args: string[]): Promise<Run> {
  const output = await new Deno.Command("h2load", {
    args: [...args, "--connect-to", `127.0.0.1:${port}`, `https://${NAME}:${port}${path}`],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const raw = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
  const finished = raw.match(/finished in [^,]+, ([\d.]+) req\/s, ([\d.]+)([KMG]?)B\/s/);
  const scale = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[finished?.[3] ?? ""] ?? NaN;
  const num = (re: RegExp) => Number(raw.match(re)?.[1] ?? NaN);
  return {
    requestsPerSec: Number(finished?.[1] ?? NaN),
    bytesPerSec: Number(finished?.[2] ?? NaN) * scale,
    failed: num(/(\d+) failed/),
    non2xx: num(/status codes: \d+ 2xx, (\d+) 3xx/) + num(/3xx, (\d+) 4xx/) + num(/4xx, (\d+) 5xx/),
    raw,
  };
}

async function waitForTls(port: number, caFile: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    const out = await new Deno.Command("curl", {
      args: ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", caFile, "--resolve"]
        .concat([`${NAME}:${port}:127.0.0.1`, `https://${NAME}:${port}/small`]),
      stdout: "piped",
    }).output();
    last = new TextDecoder().decode(out.stdout);
    if (last === "200") return;
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`Cannot reach https://${NAME}:${port}/small within ${timeoutMs} ms: ${last}`);
}

function nginxHead(dir: string, role: string): string {
  return `worker_processes 1;
daemon off;
pid ${dir}/nginx-${role}.pid;
error_log ${dir}/nginx-${role}-error.log warn;
events { worker_connections 4096; }
`;
}

/** The TLS backend: terminates TLS, answers `/small` and serves the bulk file. */
function backendConf(dir: string, port: number): string {
  return `${nginxHead(dir, "backend")}http {
  access_log off;
  client_body_temp_path ${dir}/backend-body;
  keepalive_requests 1000000;
  sendfile on;
  server {
    listen 127.0.0.1:${port} ssl;
    ssl_certificate ${dir}/tls.crt;
    ssl_certificate_key ${dir}/tls.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_cache off;
    ssl_session_tickets off;
    root ${dir}/www;
    location = /small { default_type text/plain; return 200 "ok\\n"; }
  }
}
`;
}

/** nginx `stream`: SNI read by `ssl_preread`, the connection relayed unterminated. */
function streamConf(dir: string, port: number, backendPort: number): string {
  return `load_module ${STREAM_MODULE};
${nginxHead(dir, "stream")}stream {
  map $ssl_preread_server_name $upstream {
    ${NAME} 127.0.0.1:${backendPort};
    default 127.0.0.1:1;
  }
  server {
    listen 127.0.0.1:${port};
    ssl_preread on;
    proxy_pass $upstream;
  }
}
`;
}

function manifests(gatewayPort: number, backendPort: number): string {
  const listener = `{ name: tls, protocol: TLS, port: ${gatewayPort}, tls: { mode: Passthrough } }`;
  return `${classAndGatewayYaml("bench", [listener])}---
apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: { name: bench, namespace: default }
spec:
  parentRefs: [{ name: bench }]
  hostnames: [${NAME}]
  rules: [{ backendRefs: [{ name: backend, port: 443 }] }]
---
${loopbackServiceYaml("backend", backendPort, { name: "tls", port: 443 })}`;
}

async function preflight(): Promise<void> {
  const missing = await missingTool(["nginx", "h2load", "curl", "openssl"]);
  if (missing !== undefined) throw new Error(`${missing} is not installed`);
  const stream = await Deno.stat(STREAM_MODULE).catch(() => undefined);
  if (stream === undefined) {
    throw new Error(`nginx's stream module is missing (${STREAM_MODULE}; apt libnginx-mod-stream)`);
  }
}

try {
  await preflight();
} catch (error) {
  console.error(`Cannot run the TLS passthrough benchmark: ${(error as Error).message}`);
  Deno.exit(2);
}

const dir = await Deno.makeTempDir({ prefix: "serval-passthrough-bench-" });
const children: Child[] = [];
let failed = false;
await using ca = await createTestCa();
try {
  const leaf = await ca.issue([NAME]);
  await Deno.writeTextFile(`${dir}/tls.crt`, leaf.certPem);
  await Deno.writeTextFile(`${dir}/tls.key`, leaf.keyPem);
  await Deno.mkdir(`${dir}/www`);
  await Deno.writeFile(`${dir}/www/bulk`, new Uint8Array(BULK_BYTES).fill(0x61));
  // nginx workers run as an unprivileged user; the temporary directory is private.
  await Deno.chmod(dir, 0o755);
  await Deno.chmod(`${dir}/www`, 0o755);
  await Deno.chmod(`${dir}/www/bulk`, 0o644);
  const [backendPort, streamPort, gatewayPort, adminPort] = [1, 2, 3, 4].map(() => freePort());
  const startNginx = async (role: string, conf: string) => {
    await Deno.writeTextFile(`${dir}/nginx-${role}.conf`, conf);
    children.push(spawn(`nginx ${role}`, "nginx", ["-p", dir, "-c", `${dir}/nginx-${role}.conf`]));
  };
  await startNginx("backend", backendConf(dir, backendPort));
  await startNginx("stream", streamConf(dir, streamPort, backendPort));
  await Deno.mkdir(`${dir}/manifests`);
  await Deno.writeTextFile(`${dir}/manifests/bench.yaml`, manifests(gatewayPort, backendPort));
  children.push(spawn("gateway", Deno.execPath(), [
    "run",
    "--allow-net",
    "--allow-read",
    "--allow-env",
    "--allow-sys",
    `${root}main.ts`,
    "run",
    "--manifests",
    `${dir}/manifests`,
    "--listen-host",
    "127.0.0.1",
    "--admin-addr",
    `127.0.0.1:${adminPort}`,
    "--telemetry-addr",
    "off",
    "--log-level",
    "warn",
  ]));
  const targets = [
    { name: "nginx stream (1 worker)", port: streamPort },
    { name: "gateway (main.ts)", port: gatewayPort },
  ];
  const caFile = `${ca.dir}/ca.crt`;
  for (const t of targets) await waitForTls(t.port, caFile);

  const shapes = [
    {
      name: "new connections",
      unit: "conn/s",
      path: "/small",
      args: ["--h1", "-n", handshakes, "-c", connections, "-H", "Connection: close"],
      figure: (r: Run) => r.requestsPerSec,
    },
    {
      name: "bulk 8 MiB",
      unit: "MiB/s",
      path: "/bulk",
      args: ["--h1", "-n", downloads, "-c", "4"],
      figure: (r: Run) => r.bytesPerSec / 1024 ** 2,
    },
  ];
  console.log(`h2load, SNI ${NAME}, 127.0.0.1, ${rounds} alternating rounds, medians\n`);
  console.log("shape".padEnd(18) + "target".padEnd(26) + "median".padStart(10) + "  unit");
  for (const shape of shapes) {
    const figures = targets.map(() => [] as number[]);
    for (let round = 0; round < rounds; round++) {
      for (const [i, t] of targets.entries()) {
        const r = await h2load(t.port, shape.path, shape.args);
        if (!(shape.figure(r) > 0) || r.failed > 0 || r.non2xx > 0) {
          failed = true;
          console.error(
            `${t.name} / ${shape.name}: failed=${r.failed} non2xx=${r.non2xx}\n${r.raw}`,
          );
        }
        figures[i].push(shape.figure(r));
      }
    }
    const medians = figures.map(median);
    for (const [i, t] of targets.entries()) {
      console.log(
        shape.name.padEnd(18) + t.name.padEnd(26) + medians[i].toFixed(0).padStart(10) +
          `  ${shape.unit}`,
      );
    }
    console.log(
      `${shape.name.padEnd(18)}${"gateway / nginx".padEnd(26)}${
        (medians[1] / medians[0]).toFixed(2).padStart(9)
      }x`,
    );
  }
} catch (error) {
  failed = true;
  console.error(`TLS passthrough benchmark failed: ${(error as Error).message}`);
} finally {
  await Promise.allSettled(children.map((c) => c.stop()));
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}
if (failed) Deno.exit(1);
