/**
 * System calls a proxied request costs, counted: each target serves the
 * bench path (the nginx backend of `proxy_bench.ts` in its own process)
 * under `strace -f -c` for a fixed number of requests (h2load over
 * HTTP/1.1, kept-alive connections, after a warm-up), and the calls and
 * failed calls of each kind are printed per request, the targets side by
 * side: the gateway of this checkout, `--baseline DIR`'s, and nginx as the
 * proxy (one process). A failed `recvfrom` is almost always `EAGAIN`: a
 * read that found nothing. Tracing slows every process a lot; the counts,
 * not the times, are the figures.
 *
 * Other paths than the kept-alive one: `--client-close` sends every
 * request with `Connection: close` (a connection accepted per request),
 * `--backend-close` has the backend close after each answer (a backend
 * connection made per request), `--h2c` speaks HTTP/2 by prior knowledge
 * (one stream at a time per connection). `--rps N` sends N requests a
 * second on each connection (h2load `--rps`), so the loop idles between
 * arrivals as at half load, where requests otherwise come back to back.
 *
 * ```sh
 * deno run -A bench/_proxy_syscalls.ts [--baseline DIR] [--requests 20000] [--connections 10] [--warmup 20000]
 *                                      [--client-close] [--backend-close] [--h2c] [--rps N]
 * ```
 * @module
 */
// deno-lint-ignore-file no-console
import { startTaskEnv } from "../scripts/start_task_flags.ts";
import {
  type Child,
  freePort,
  requirePositiveInteger,
  requireTools,
  spawn,
  waitFor200,
} from "./_processes.ts";
import {
  BENCH_BACKEND_LOCATION,
  flag,
  gatewayCheckouts,
  gatewayRunArgs,
  reportFailure,
  startBenchBackend,
} from "./_bench_setup.ts";
import { benchManifests } from "./_proxy_manifests.ts";
import { writeNginxProxyConf } from "./_proxy_instructions.ts";
import { straceRows, type SyscallRow } from "./_strace.ts";

const shape = [
  ...(Deno.args.includes("--h2c") ? [] : ["--h1"]),
  ...(Deno.args.includes("--client-close") ? ["-H", "connection: close"] : []),
  // A rate a connection: the loop idles between requests, as at half load.
  // The connections opened a millisecond apart, so they do not all send in the same instant.
  ...(flag("rps", "") === "" ? [] : ["--rps", flag("rps", ""), "-r", "1", "--rate-period", "1ms"]),
];

/** Sends exactly `requests` requests over `connections` connections; throws on any failure. */
async function h2load(url: string, requests: number, connections: number): Promise<void> {
  const done = await new Deno.Command("h2load", {
    args: [...shape, "-n", String(requests), "-c", String(connections), "-t", "1", url],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(done.stdout);
  if (!done.success || !new RegExp(`${requests} succeeded`).test(text)) {
    throw new Error(`Cannot complete ${requests} requests: ${text}`);
  }
}

if (import.meta.main) {
  const requests = Number(flag("requests", "20000"));
  const connections = Number(flag("connections", "10"));
  const warmup = Number(flag("warmup", "20000"));
  for (const [name, value] of Object.entries({ requests, connections, warmup })) {
    requirePositiveInteger(name, value);
  }
  await requireTools("the system call count", ["strace", "h2load", "nginx"]);
  const checkouts = gatewayCheckouts();
  const dir = await Deno.makeTempDir({ prefix: "serval-syscalls-" });
  const children: Child[] = [];
  let failed = false;
  try {
    const location = Deno.args.includes("--backend-close")
      ? `keepalive_timeout 0; ${BENCH_BACKEND_LOCATION}`
      : BENCH_BACKEND_LOCATION;
    const backendPort = await startBenchBackend(dir, children, location);
    const targets: [string, () => Promise<{ child: Child; port: number }>][] = checkouts.map((
      [name, checkout],
    ) => [name, async () => {
      const port = freePort();
      const manifests = `${dir}/manifests-${port}`;
      await Deno.mkdir(manifests);
      await Deno.writeTextFile(`${manifests}/bench.yaml`, benchManifests(port, backendPort));
      const args = gatewayRunArgs({ checkout, manifests, args: ["--drain-delay", "0s"] });
      return {
        child: spawn(name, Deno.execPath(), args, undefined, startTaskEnv(checkout)),
        port,
      };
    }]);
    // nginx's proxy port speaks HTTP/1.1 only.
    if (!Deno.args.includes("--h2c")) {
      targets.push(["nginx proxy", async () => {
        const port = freePort();
        const path = await writeNginxProxyConf(dir, port, backendPort);
        return { child: spawn("nginx proxy", "nginx", ["-p", dir, "-c", path]), port };
      }]);
    }
    const results: [string, Map<string, SyscallRow>][] = [];
    for (const [name, start] of targets) {
      const { child, port } = await start();
      children.push(child);
      const url = `http://127.0.0.1:${port}/bench`;
      await waitFor200(url, 60_000);
      await h2load(url, warmup, connections);
      results.push([
        name,
        (await straceRows(child.process.pid, () => h2load(url, requests, connections))).rows,
      ]);
      await child.stop();
    }
    console.log(
      `system calls per request (calls, failed in brackets) under strace -f -c: ${requests} ` +
        `requests over ${connections} connections (h2load ${shape.join(" ")}), after ${warmup} ` +
        `warm-up requests`,
    );
    const names = new Set(results.flatMap(([, rows]) => [...rows.keys()]));
    const perRequest = (row: SyscallRow | undefined) =>
      row === undefined ? "-" : `${(row.calls / requests).toFixed(3)}` +
        (row.errors > 0 ? ` (${(row.errors / requests).toFixed(3)})` : "");
    console.log(`  ${"call".padEnd(16)}${results.map(([n]) => n.padEnd(24)).join("")}`);
    const total = (rows: Map<string, SyscallRow>) =>
      [...rows.values()].reduce((sum, row) => sum + row.calls, 0);
    for (const call of [...names].sort()) {
      const cells = results.map(([, rows]) => perRequest(rows.get(call)).padEnd(24));
      if (results.every(([, rows]) => (rows.get(call)?.calls ?? 0) / requests < 0.001)) continue;
      console.log(`  ${call.padEnd(16)}${cells.join("")}`);
    }
    console.log(
      `  ${"all".padEnd(16)}${
        results.map(([, rows]) => (total(rows) / requests).toFixed(3).padEnd(24)).join("")
      }`,
    );
  } catch (error) {
    failed = true;
    reportFailure("System call count", error, children);
  } finally {
    await Promise.allSettled(children.map((c) => c.stop()));
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
  Deno.exit(failed ? 1 : 0);
}
