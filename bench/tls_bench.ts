/**
 * HTTPS benchmark: the gateway (real process, `main.ts run`) against nginx
 * (one worker) terminating TLS with the same certificate in front of the same
 * loopback backend (nginx, fixed tiny response). Both are asked with SNI
 * `bench.example.com` through `h2load --connect-to`, verified by nothing but
 * 2xx counts (h2load does not verify certificates).
 *
 * Shapes:
 * - `new connections`: HTTP/1.1 with `Connection: close`, so every request
 *   pays a TCP connect and a full TLS handshake (handshakes per second);
 * - `keep-alive h1`: HTTP/1.1 over kept-alive TLS connections;
 * - `keep-alive h2`: HTTP/2, several streams per connection.
 *
 * A third target is the same gateway's listener with client-certificate
 * validation (`spec.tls.frontend`), whose connections go through the
 * `node:tls` server and a second relay (`tls_client_auth.ts`). h2load cannot
 * present a client certificate, so that listener runs `AllowInsecureFallback`:
 * the handshake still asks for one, and every byte takes the same path as a
 * validated client's; only the chain check per handshake is left out.
 *
 * A fourth is a port with two HTTPS listeners (two hostnames): its
 * connections are terminated by the runtime's `node:tls` server, which tells
 * them apart by SNI (`tls_handshake_door.ts`), while the one-listener port
 * is served by Deno's TLS listener (`tls_sni_choice.ts`), so against it the
 * fourth shows what `node:tls` costs. The client-certificate listener's
 * connections take the ClientHello relay (`tls_front_door.ts`).
 *
 * Every gateway runs as `deno task start` runs it (its checkout's start
 * task's Deno flags and environment): until 2026-12-01 they ran without
 * `--allow-ffi` and the V8 flags, so on Deno's sockets to the backend,
 * `performance.now()` for the clock and Nagle's algorithm on, which no user
 * runs.
 *
 * Each shape runs `--rounds` times over every target, alternating the order
 * (other work on the machine shifts throughput from minute to minute), after
 * one warm-up per target as long as a run (a gateway warmed by a tenth of
 * one still ran its first round at 1.6x its later CPU a request, which
 * read as one slow round in three). Prints per target the median req/s and CPU per
 * request of its process tree (nginx's master and worker for nginx), of the
 * backend nginx, and of the whole machine (`/proc/stat`: the load generator
 * and whatever else ran included, so a figure to compare within one run), the
 * gateway/nginx ratio (median of the rounds' ratios) and the
 * client-certificate listener against the plain one per shape, then every
 * round's req/s and CPU a request in order (nginx's req/s swings by up to
 * 1.6x between rounds at the same CPU a request: where the scheduler puts
 * the client, the proxy and the backend on two cores); exits 1 when
 * any run saw failed or non-2xx requests. `--baseline DIR` adds a second
 * gateway from another checkout to the same rounds, for A/B of a change.
 * `--shapes` and `--targets` keep the shapes and gateways whose names contain
 * one of their comma-separated words (nginx always runs). `--own-h1` adds a gateway started with `--http1-engine own` (our HTTP/1.1
 * server on its TLS connections), and with `--baseline` the baseline's too.
 * `--extra "ARGS"` adds this checkout's gateway started with ARGS too
 * (`--extra "--sockets deno"`), named by them.
 * `--cpu-prof DIR` has every gateway write V8's CPU profile there as it exits.
 * `--alloc-profile` starts this checkout's gateway with the V8 inspector and
 * samples its allocations over one more run per shape (`_alloc_profile.ts`,
 * "a change" there being a request here).
 * `--strace` adds, per target and shape, one more run under `strace -f -c`
 * (`_strace.ts`) and prints its system calls per request (nginx's too).
 * Everything binds 127.0.0.1.
 *
 * ```sh
 * deno run -A bench/tls_bench.ts [--requests 20000] [--handshakes 2000] [--connections 20]
 *                                [--rounds 3] [--baseline DIR] [--own-h1] [--shapes h1,h2,new]
 *                                [--targets own,baseline] [--extra ARGS] [--cpu-prof DIR] [--strace] [--alloc-profile]
 * ```
 * @module
 */
// deno-lint-ignore-file no-console
import { createTestCa } from "../tests/_helpers/certs.ts";
import { startTaskEnv, startTaskFlags } from "../scripts/start_task_flags.ts";
import {
  type Child,
  freePort,
  machineBusySeconds,
  requirePositiveInteger,
  requireTools,
  spawn,
  treeCpuSeconds,
} from "./_processes.ts";
import {
  classAndGatewayYaml,
  gatewayYaml,
  httpsListener,
  loopbackServiceYaml,
  tlsSecretYaml,
} from "../scripts/manifests.ts";
import { median } from "./_rounds.ts";
import { flag, gatewayRunArgs, nginxHttpHead, reportFailure, startNginx } from "./_bench_setup.ts";
import { fewerRequests, h2load, waitForCurl200 } from "./_h2load.ts";
import { nginxWorker, straced } from "./_strace.ts";
import { InspectorSession } from "./_inspector.ts";
import { printAllocProfile, startAllocSampling, stopAllocSampling } from "./_alloc_profile.ts";

const requests = flag("requests", "20000");
const handshakes = flag("handshakes", "2000");
const connections = flag("connections", "20");
const rounds = Number(flag("rounds", "3"));
const ownH1 = Deno.args.includes("--own-h1");
const cpuProfDir = flag("cpu-prof", "");
const baseline = flag("baseline", "");
const strace = Deno.args.includes("--strace");
const extraArgs = flag("extra", "").trim();
const allocProfile = Deno.args.includes("--alloc-profile");
const inspectPort = allocProfile ? freePort() : 0;
const root = new URL("..", import.meta.url).pathname;
const NAME = "bench.example.com";

/** One measured run of a target: req/s, and CPU µs a request of it, of the backend, of all cores. */
interface Run {
  rps: number;
  cpuUs: number;
  backendUs: number;
  machineUs: number;
}

function nginxConf(dir: string, role: string, listen: string, body: string, http = ""): string {
  return nginxHttpHead(dir, role) + `  ${http}
  server {
    listen ${listen};
    ${body}
  }
}
`;
}

function manifests(
  gatewayPort: number,
  mtlsPort: number,
  multiPort: number,
  backendPort: number,
  crt: string,
  key: string,
): string {
  const clientsCa = `  tls:
    frontend:
      default:
        validation:
          mode: AllowInsecureFallback
          caCertificateRefs: [{ group: "", kind: ConfigMap, name: bench-clients-ca }]
`;
  return `${
    classAndGatewayYaml("bench", [httpsListener("https", gatewayPort, "bench-cert", NAME)])
  }---
${gatewayYaml("bench-mtls", [httpsListener("https", mtlsPort, "bench-cert", NAME)], clientsCa)}---
${
    gatewayYaml("bench-multi", [
      httpsListener("https", multiPort, "bench-cert", NAME),
      httpsListener("other", multiPort, "bench-cert", `other.${NAME}`),
    ])
  }---
apiVersion: v1
kind: ConfigMap
metadata: { name: bench-clients-ca, namespace: default }
data: { ca.crt: ${JSON.stringify(crt)} }
---
${tlsSecretYaml("bench-cert", crt, key)}---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: bench, namespace: default }
spec:
  parentRefs: [{ name: bench }, { name: bench-mtls }, { name: bench-multi }]
  rules: [{ backendRefs: [{ name: backend, port: 80 }] }]
---
${loopbackServiceYaml("backend", backendPort)}`;
}

await requireTools("the TLS benchmark", ["nginx", "h2load", "curl", "openssl"]);
requirePositiveInteger("rounds", rounds);

const dir = await Deno.makeTempDir({ prefix: "serval-tls-bench-" });
const children: Child[] = [];
let failed = false;
await using ca = await createTestCa();
try {
  const leaf = await ca.issue([NAME]);
  await Deno.writeTextFile(`${dir}/tls.crt`, leaf.certPem);
  await Deno.writeTextFile(`${dir}/tls.key`, leaf.keyPem);
  const caFile = `${ca.dir}/ca.crt`;
  const [backendPort, nginxPort] = [freePort(), freePort()];

  const nginx = (role: string, conf: string) => {
    children.push(startNginx(dir, role, conf, `${dir}/nginx-${role}.log`));
  };
  nginx(
    "backend",
    nginxConf(
      dir,
      "backend",
      `127.0.0.1:${backendPort}`,
      'location / { default_type text/plain; return 200 "hello from the bench backend\\n"; }',
    ),
  );
  const backendPid = children[0].process.pid;
  nginx(
    "tls",
    nginxConf(
      dir,
      "tls",
      `127.0.0.1:${nginxPort} ssl http2`,
      [
        `server_name ${NAME};`,
        `ssl_certificate ${dir}/tls.crt;`,
        `ssl_certificate_key ${dir}/tls.key;`,
        "ssl_protocols TLSv1.2 TLSv1.3;",
        "ssl_session_cache off;",
        "ssl_session_tickets off;",
        "location / {",
        "  proxy_pass http://keep;",
        "  proxy_http_version 1.1;",
        '  proxy_set_header Connection "";',
        "  proxy_set_header Host $http_host;",
        "  proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        "  proxy_set_header X-Forwarded-Proto $scheme;",
        "}",
      ].join("\n    "),
      `upstream keep { server 127.0.0.1:${backendPort}; keepalive 64; }`,
    ),
  );

  /** Starts `main.ts run` of `checkout` with its own HTTPS and client-certificate ports. */
  const startGateway = async (
    name: string,
    checkout: string,
    args: string[] = [],
    inspect = false,
  ) => {
    const [port, mtls, multi] = [freePort(), freePort(), freePort()];
    const manifestDir = `${dir}/manifests-${port}`;
    await Deno.mkdir(manifestDir);
    await Deno.writeTextFile(
      `${manifestDir}/bench.yaml`,
      manifests(port, mtls, multi, backendPort, leaf.certPem, leaf.keyPem),
    );
    const child = spawn(
      name,
      Deno.execPath(),
      gatewayRunArgs({
        checkout,
        manifests: manifestDir,
        // The process a user starts (`deno task start`): libc's sockets to
        // the backend and its clock, Nagle off on the TLS listener (both by
        // FFI), the start task's V8 flags and allocator setting.
        denoFlags: [
          ...startTaskFlags(checkout),
          ...(cpuProfDir === "" ? [] : ["--cpu-prof", `--cpu-prof-dir=${cpuProfDir}`]),
          ...(inspect ? [`--inspect=127.0.0.1:${inspectPort}`] : []),
        ],
        // Exits within the harness's grace, so a CPU profile gets written.
        args: ["--drain-delay", "0s", ...args],
      }),
      undefined,
      startTaskEnv(checkout),
    );
    children.push(child);
    return { port, mtls, multi, pid: child.process.pid };
  };
  const gateway = await startGateway("gateway", root, [], allocProfile);
  const all = [
    { name: "nginx (TLS, 1 worker)", port: nginxPort, pid: children[1].process.pid },
    { name: "gateway (main.ts)", port: gateway.port, pid: gateway.pid },
    { name: "gateway, client-cert", port: gateway.mtls, pid: gateway.pid },
    { name: "gateway, two listeners", port: gateway.multi, pid: gateway.pid },
  ];
  const url = (port: number) => `https://${NAME}:${port}/bench`;
  if (baseline !== "") {
    const old = await startGateway("gateway (baseline)", baseline.replace(/\/?$/, "/"));
    all.push({ name: "gateway (baseline)", port: old.port, pid: old.pid });
    all.push({ name: "baseline, client-cert", port: old.mtls, pid: old.pid });
    all.push({ name: "baseline, two listeners", port: old.multi, pid: old.pid });
  }
  if (ownH1) {
    const own = await startGateway("gateway (own HTTP/1.1)", root, ["--http1-engine", "own"]);
    all.push({ name: "gateway (own HTTP/1.1)", port: own.port, pid: own.pid });
  }
  if (ownH1 && baseline !== "") {
    const checkout = baseline.replace(/\/?$/, "/");
    const old = await startGateway("baseline (own HTTP/1.1)", checkout, ["--http1-engine", "own"]);
    all.push({ name: "baseline (own HTTP/1.1)", port: old.port, pid: old.pid });
  }
  if (extraArgs !== "") {
    const extra = await startGateway("gateway (extra)", root, extraArgs.split(/\s+/));
    all.push({ name: `gateway ${extraArgs}`, port: extra.port, pid: extra.pid });
  }
  // nginx stays first: every ratio is against it or between gateways.
  const wanted = flag("targets", "").split(",").filter((w) => w !== "");
  const targets = all.filter((t, i) =>
    i === 0 || wanted.length === 0 || wanted.some((w) => t.name.includes(w))
  );
  for (const t of targets) await waitForCurl200(url(t.port), NAME, t.port, caFile);

  const shapes = [
    {
      name: "new connections",
      args: ["--h1", "-n", handshakes, "-c", connections, "-H", "Connection: close"],
    },
    { name: "keep-alive h1", args: ["--h1", "-n", requests, "-c", connections] },
    { name: "keep-alive h2", args: ["-n", requests, "-c", connections, "-m", "10"] },
  ];
  const table: string[] = [];
  const syscalls: string[] = [];
  const eachRound: string[] = [];
  const row = (shape: string, name: string, value: string, ...cpu: string[]) =>
    table.push(
      shape.padEnd(18) + name.padEnd(24) + value.padStart(10) +
        cpu.map((c) => c.padStart(14)).join(""),
    );
  /** CPU seconds so far: the target's process tree, the backend's, all cores' busy time. */
  const cpuNow = async (pid: number) => ({
    target: await treeCpuSeconds(pid),
    backend: await treeCpuSeconds(backendPid),
    machine: await machineBusySeconds(),
  });
  const only = flag("shapes", "").split(",").filter((w) => w !== "");
  for (
    const shape of shapes.filter((s) => only.length === 0 || only.some((w) => s.name.includes(w)))
  ) {
    for (const t of targets) {
      // Warm-up, discarded: as long as a run, since a gateway after a tenth
      // of one still ran its first round at 1.6x its later CPU a request.
      await h2load(url(t.port), t.port, fewerRequests(shape.args, 1));
    }
    const runs = new Map(targets.map((t) => [t.name, [] as Run[]]));
    for (let round = 0; round < rounds; round++) {
      // Rotate the order so that no target always runs first after a pause.
      for (const t of targets.map((_, i) => targets[(i + round) % targets.length])) {
        const before = await cpuNow(t.pid);
        const r = await h2load(url(t.port), t.port, shape.args);
        const after = await cpuNow(t.pid);
        const perRequest = (a: number, b: number) => (a - b) * 1e6 / r.succeeded;
        if (!(r.requestsPerSec > 0) || r.failed > 0 || r.non2xx > 0) {
          failed = true;
          console.error(
            `${t.name} / ${shape.name}: failed=${r.failed} non2xx=${r.non2xx}\n${r.raw}`,
          );
        }
        runs.get(t.name)!.push({
          rps: r.requestsPerSec,
          cpuUs: perRequest(after.target, before.target),
          backendUs: perRequest(after.backend, before.backend),
          machineUs: perRequest(after.machine, before.machine),
        });
      }
    }
    if (allocProfile) {
      // One more run of this checkout's gateway with V8's sampling heap
      // profiler on: the bytes a request allocates, by site.
      const session = await InspectorSession.connect(inspectPort);
      await startAllocSampling(session, 4096);
      const r = await h2load(url(gateway.port), gateway.port, shape.args);
      const profile = await stopAllocSampling(session);
      console.log(`${shape.name}, gateway (main.ts), bytes allocated:`);
      printAllocProfile(profile, r.succeeded, 25);
      session.close();
    }
    if (strace) {
      for (const t of targets) {
        // strace follows the nginx worker that serves, not its master.
        const pid = t === targets[0] ? await nginxWorker(`${dir}/nginx-tls.pid`) : t.pid;
        const { counts } = await straced(pid, () => h2load(url(t.port), t.port, shape.args));
        const top = counts.slice(0, 8).map(([name, n]) => `${name} ${n.toFixed(2)}`);
        syscalls.push(`${shape.name.padEnd(18)}${t.name.padEnd(24)}${top.join(", ")}`);
      }
    }
    for (const [name, rs] of runs) {
      const us = (key: "cpuUs" | "backendUs" | "machineUs") => {
        const value = median(rs.map((r) => r[key]));
        return isNaN(value) ? "" : value.toFixed(0);
      };
      row(
        shape.name,
        name,
        median(rs.map((r) => r.rps)).toFixed(0),
        us("cpuUs"),
        us("backendUs"),
        us("machineUs"),
      );
    }
    for (const [name, rs] of runs) {
      eachRound.push(
        `${shape.name.padEnd(18)}${name.padEnd(24)}` +
          rs.map((r) => `${(r.rps / 1000).toFixed(1)}k/${r.cpuUs.toFixed(0)}`).join(" "),
      );
    }
    const ratio = (a: string, b: string) => {
      const each = runs.get(a)!.map((r, i) => r.rps / runs.get(b)![i].rps);
      // The steadier figure: b's CPU a request over a's, per round (1.00x: as efficient).
      const cpu = runs.get(a)!.map((r, i) => runs.get(b)![i].cpuUs / r.cpuUs);
      return `${median(each).toFixed(2)}x` +
        `   rounds: ${each.map((x) => x.toFixed(2)).join(" ")}` +
        `   CPU a request: ${median(cpu).toFixed(2)}x`;
    };
    const pairs: [string, string, string][] = [
      ["gateway / nginx", "gateway (main.ts)", targets[0].name],
      ["client-cert / gateway", "gateway, client-cert", "gateway (main.ts)"],
      ["two-listener / gateway", "gateway, two listeners", "gateway (main.ts)"],
      ["client-cert / baseline", "gateway, client-cert", "baseline, client-cert"],
      ["two-listener / baseline", "gateway, two listeners", "baseline, two listeners"],
      ["own HTTP/1.1 / nginx", "gateway (own HTTP/1.1)", targets[0].name],
      ["baseline / nginx", "gateway (baseline)", targets[0].name],
      ["baseline own / nginx", "baseline (own HTTP/1.1)", targets[0].name],
      ["own / baseline own", "gateway (own HTTP/1.1)", "baseline (own HTTP/1.1)"],
      ["extra / gateway", `gateway ${extraArgs}`, "gateway (main.ts)"],
    ];
    for (const [label, a, b] of pairs) {
      if (runs.has(a) && runs.has(b)) {
        table.push(`${shape.name.padEnd(18)}${label.padEnd(24)}${ratio(a, b)}`);
      }
    }
  }
  console.log(
    `h2load, SNI ${NAME}, -c ${connections}, ${rounds} alternating rounds, medians, 127.0.0.1\n`,
  );
  console.log(
    "shape".padEnd(18) + "target".padEnd(24) + "req/s".padStart(10) + "CPU µs/req".padStart(14) +
      "backend µs".padStart(14) + "machine µs".padStart(14),
  );
  for (const line of table) console.log(line);
  console.log("\neach round in order: req/s / CPU µs a request");
  for (const line of eachRound) console.log(line);
  if (syscalls.length > 0) console.log("\nsystem calls per request (strace -f -c)");
  for (const line of syscalls) console.log(line);
} catch (error) {
  failed = true;
  reportFailure("TLS benchmark", error, children);
} finally {
  await Promise.allSettled(children.map((c) => c.stop()));
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}
if (failed) Deno.exit(1);
