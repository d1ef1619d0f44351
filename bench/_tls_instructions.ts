/**
 * Instructions an HTTPS keep-alive HTTP/1.1 request costs the gateway,
 * beside a plain one on the same process: `_proxy_instructions.ts`'s count
 * (callgrind, counting off until the warm-up is done, windows of a fixed
 * number of requests, the lowest window the steady cost) over a gateway
 * with a plain HTTP port and an HTTPS port of one listener (the way
 * `tls_bench.ts`'s main target is served: Deno's TLS listener as the
 * public socket, no ClientHello relay), both routed to the same nginx
 * backend. Both ports are counted in the same process one after the other,
 * so the difference is what TLS adds to a request. `--ports` says which
 * ports are counted, in order (default `https,plain`; `two-listeners` is a
 * port of two HTTPS listeners, terminated by `node:tls`,
 * `tls_handshake_door.ts`). HTTPS goes first: counted after the plain
 * port, its windows read 14k more instructions a request on the main
 * thread and 33k on V8's helper threads, where the same two processes
 * without valgrind used the same CPU per HTTPS request. Under valgrind
 * (its threads run one at a time, the process many times slower) V8's
 * background work, recompiling and an old-generation collection's
 * concurrent marking (natively tens of milliseconds every ~20 s), spans
 * many windows: a window it overlaps shows thousands of instructions a
 * request on the other threads and a slower main thread, hence six short
 * windows and the lowest. The lowest still moved by up to 15k between runs
 * while other work kept the machine busy (load 3-7): compare checkouts in
 * one run, on a quiet machine.
 *
 * `--h2` sends HTTP/2 to the HTTPS ports (ten streams at a time on each
 * connection, as `tls_bench.ts`'s h2 rows), HTTP/1.1 still to the plain one.
 * `--baseline DIR[,DIR...]` counts other checkouts the same way; `--extra "ARGS"`
 * this checkout again, started with ARGS (`--extra "--sockets deno"`). `--yardsticks` also
 * counts nginx proxying plain and HTTPS (one process: callgrind follows no
 * fork) and the raw proxies of `_raw_proxy.ts` (plain and over
 * `Deno.listenTls`). `--keep DIR` leaves the dumps in DIR for
 * `callgrind_annotate` (`callgrind-<port>.out.<window>-<thread>`). `--close`
 * sends every request on a connection of its own (`Connection: close`), so
 * a window counts handshakes (and a TCP connect each) instead. Keep-alive
 * windows hold the handshakes of their `--connections` too (h2load connects
 * anew each run): a handshake's share is its count over the window's
 * requests per connection.
 *
 * ```sh
 * deno run -A bench/_tls_instructions.ts [--baseline DIR,...] [--requests 2000] [--windows 6]
 *                                        [--connections 10] [--warmup 20000] [--ports https,plain] [--close] [--h2] [--extra ARGS]
 *                                        [--yardsticks] [--keep DIR]
 * ```
 * @module
 */
// deno-lint-ignore-file no-console
import { createTestCa } from "../tests/_helpers/certs.ts";
import { startTaskEnv, startTaskFlags } from "../scripts/start_task_flags.ts";
import { gapManifests } from "./_tls_gap_world.ts";
import { type Child, freePort, requireTools, spawn } from "./_processes.ts";
import { flag, gatewayRunArgs, reportFailure, startBenchBackend } from "./_bench_setup.ts";
import { h2load, waitForCurl200 } from "./_h2load.ts";
import {
  control,
  type InstructionRun,
  instructionRunFlags,
  threadTotals,
  writeNginxProxyConf,
} from "./_proxy_instructions.ts";
import { NGINX_PROXY_LOCATION } from "./_proxy_targets.ts";

const NAME = "bench.example.com";
const close = Deno.args.includes("--close");
/** HTTP/2 over TLS (ten streams at a time a connection) instead of HTTP/1.1. */
const h2 = Deno.args.includes("--h2");

/** One port of a process under callgrind. */
interface CountedPort {
  label: string;
  port: number;
  tls: boolean;
}

/** A process to start under callgrind and the ports to count on it. */
interface CountedProcess {
  name: string;
  argv: string[];
  env: Record<string, string>;
  ports: CountedPort[];
}

/** Sends `requests` HTTP/1.1 requests to `p`; throws on any failure when `strict`. */
async function load(
  p: CountedPort,
  requests: number,
  connections: number,
  strict = true,
): Promise<void> {
  const url = `${p.tls ? "https" : "http"}://${NAME}:${p.port}/bench`;
  const args = ["-n", String(requests), "-c", String(connections), "-t", "1"];
  // h2load speaks h2 to an HTTPS port whose ALPN offers it; plain ports stay HTTP/1.1.
  args.push(...(h2 && p.tls ? ["-m", "10"] : ["--h1"]));
  // Every request on a new connection: a TCP connect and a TLS handshake each.
  if (close) args.push("-H", "Connection: close");
  const r = await h2load(url, p.port, args);
  if (strict && (r.succeeded !== requests || r.failed > 0 || r.non2xx > 0)) {
    throw new Error(`Cannot complete ${requests} requests on ${p.label}: ${r.raw}`);
  }
}

/** Per port: instructions per request of every window, all threads and the main thread. */
async function countPorts(
  proc: CountedProcess,
  dir: string,
  children: Child[],
  run: InstructionRun,
  caFile: string,
): Promise<{ label: string; all: number[]; main: number[] }[]> {
  const out = `${dir}/callgrind-${proc.ports[0].port}.out`;
  const child = spawn(
    proc.name,
    "valgrind",
    [
      "--tool=callgrind",
      "--smc-check=all-non-file",
      "--instr-atstart=no",
      "--separate-threads=yes",
      `--callgrind-out-file=${out}`,
      ...proc.argv,
    ],
    undefined,
    proc.env,
  );
  children.push(child);
  const pid = child.process.pid;
  const results = [];
  let window = 0;
  for (const p of proc.ports) {
    const url = `${p.tls ? "https" : "http"}://${NAME}:${p.port}/bench`;
    await waitForCurl200(url, NAME, p.port, caFile, 180_000);
    await load(p, run.warmup, run.connections);
    // Switching the instrumentation on drops valgrind's translations: the
    // next requests run many times slower while it translates again (slow
    // enough for handshakes to time out), so they are served and discarded.
    await control(pid, "-i", "on");
    await load(p, Math.max(run.connections, Math.ceil(run.requests / 10)), run.connections, false);
    const all: number[] = [];
    const main: number[] = [];
    for (let w = 0; w < run.windows; w++) {
      window++;
      await control(pid, "-z");
      await load(p, run.requests, run.connections);
      await control(pid, "-d");
      const totals = await threadTotals(dir, `callgrind-${proc.ports[0].port}.out.${window}-`);
      all.push(totals.all / run.requests);
      main.push(totals.main / run.requests);
    }
    await control(pid, "-i", "off");
    results.push({ label: p.label, all, main });
  }
  await child.stop();
  return results;
}

function gatewayProcess(
  name: string,
  checkout: string,
  dir: string,
  backend: number,
  crt: string,
  key: string,
  order: string[],
  extra: string[] = [],
): CountedProcess {
  const [plain, https, multi] = [freePort(), freePort(), freePort()];
  const manifests = `${dir}/manifests-${plain}`;
  Deno.mkdirSync(manifests);
  Deno.writeTextFileSync(
    `${manifests}/bench.yaml`,
    gapManifests(
      { gwPlain: plain, gwDirect: https, gwRelayed: multi, backend },
      NAME,
      crt,
      key,
      `other.${NAME}`,
    ),
  );
  const args = gatewayRunArgs({
    checkout,
    manifests,
    denoFlags: startTaskFlags(checkout),
    args: ["--drain-delay", "0s", ...extra],
  });
  const all: CountedPort[] = [
    { label: "plain", port: plain, tls: false },
    { label: "https", port: https, tls: true },
    { label: "two-listeners", port: multi, tls: true },
  ];
  const ports = order.map((label) => all.find((p) => p.label === label)!);
  return { name, argv: [Deno.execPath(), ...args], env: startTaskEnv(checkout), ports };
}

/** nginx (one process) proxying plain and HTTPS, and the raw proxies plain and over TLS. */
async function yardsticks(
  dir: string,
  backend: number,
  crtFile: string,
  keyFile: string,
): Promise<CountedProcess[]> {
  const [plain, https] = [freePort(), freePort()];
  const tls = [
    `ssl_certificate ${crtFile};`,
    `ssl_certificate_key ${keyFile};`,
    "ssl_protocols TLSv1.2 TLSv1.3;",
    "ssl_session_cache off;",
    "ssl_session_tickets off;",
  ].join(" ");
  const conf = await writeNginxProxyConf(
    dir,
    plain,
    backend,
    `  server {\n    listen 127.0.0.1:${https} ssl;\n    ${tls}\n` +
      `    location / {\n      ${NGINX_PROXY_LOCATION}\n    }\n  }\n`,
  );
  const raw = (label: string, tlsFiles: string[]): CountedProcess => {
    const port = freePort();
    const path = new URL("_raw_proxy.ts", import.meta.url).pathname;
    return {
      name: label,
      argv: [
        Deno.execPath(),
        "run",
        "--allow-net",
        "--allow-read",
        path,
        "--port",
        `${port}`,
        "--backend-port",
        `${backend}`,
        ...tlsFiles,
      ],
      env: {},
      ports: [{ label, port, tls: tlsFiles.length > 0 }],
    };
  };
  return [
    {
      name: "nginx proxy",
      argv: ["nginx", "-p", dir, "-c", conf],
      env: {},
      ports: [
        { label: "nginx plain", port: plain, tls: false },
        { label: "nginx https", port: https, tls: true },
      ],
    },
    raw("raw proxy plain", []),
    raw("raw proxy https", ["--cert", crtFile, "--key", keyFile]),
  ];
}

if (import.meta.main) {
  const run = instructionRunFlags({ requests: 2000, windows: 6, connections: 10, warmup: 20000 });
  await requireTools("the TLS instruction count", [
    "valgrind",
    "callgrind_control",
    "h2load",
    "nginx",
    "curl",
    "openssl",
  ]);
  const keep = flag("keep", "");
  const dir = keep !== "" ? keep : await Deno.makeTempDir({ prefix: "serval-tls-instructions-" });
  const children: Child[] = [];
  let failed = false;
  await using ca = await createTestCa();
  try {
    const leaf = await ca.issue([NAME, `other.${NAME}`]);
    const [crtFile, keyFile] = [`${dir}/tls.crt`, `${dir}/tls.key`];
    await Deno.writeTextFile(crtFile, leaf.certPem);
    await Deno.writeTextFile(keyFile, leaf.keyPem);
    const backend = await startBenchBackend(dir, children);
    const order = flag("ports", "https,plain").split(",");
    const known = ["plain", "https", "two-listeners"];
    const unknown = order.find((p) => !known.includes(p));
    if (unknown !== undefined) {
      throw new RangeError(`Cannot count port "${unknown}": use ${known.join(", ")}`);
    }
    const root = new URL("..", import.meta.url).pathname;
    const gateway = (name: string, checkout: string, extra: string[] = []) =>
      gatewayProcess(name, checkout, dir, backend, leaf.certPem, leaf.keyPem, order, extra);
    const processes = [gateway("gateway", root)];
    const extraArgs = flag("extra", "").trim();
    if (extraArgs !== "") {
      processes.push(gateway(`gateway ${extraArgs}`, root, extraArgs.split(/\s+/)));
    }
    for (const baseline of flag("baseline", "").split(",").filter((b) => b !== "")) {
      processes.push(gateway(`gateway (${baseline})`, baseline.replace(/\/?$/, "/")));
    }
    if (Deno.args.includes("--yardsticks")) {
      processes.push(...await yardsticks(dir, backend, crtFile, keyFile));
    }
    console.log(
      `instructions per request under callgrind: ${run.windows} windows of ${run.requests} ` +
        `${h2 ? "HTTP/2 (HTTPS ports)" : "HTTP/1.1"} requests, ${run.connections} ${
          close ? "connections at a time, one a request" : "kept-alive connection(s)"
        }, after ${run.warmup} ` +
        `warm-up requests per port`,
    );
    for (const proc of processes) {
      const counts = await countPorts(proc, dir, children, run, `${ca.dir}/ca.crt`);
      const windows = (ns: number[]) => ns.map((n) => n.toFixed(0)).join(", ");
      const lowest = (ns: number[]) => Math.min(...ns);
      for (const c of counts) {
        console.log(
          `  ${(proc.name + ": " + c.label).padEnd(40)} lowest ${lowest(c.all).toFixed(0)}  ` +
            `(${windows(c.all)}); main thread lowest ${lowest(c.main).toFixed(0)} ` +
            `(${windows(c.main)})`,
        );
      }
      const plain = counts.find((c) => c.label.endsWith("plain"));
      if (plain !== undefined) {
        for (const c of counts.filter((c) => c !== plain)) {
          console.log(
            `  ${(proc.name + ": " + c.label + " - plain").padEnd(40)} ` +
              `${(lowest(c.all) - lowest(plain.all)).toFixed(0)}; main thread ` +
              `${(lowest(c.main) - lowest(plain.main)).toFixed(0)}`,
          );
        }
      }
    }
  } catch (error) {
    failed = true;
    reportFailure("TLS instruction count", error, children);
  } finally {
    await Promise.allSettled(children.map((c) => c.stop()));
    if (keep === "") await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
  Deno.exit(failed ? 1 : 0);
}
