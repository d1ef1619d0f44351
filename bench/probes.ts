/**
 * `deno task probes`: the hostile-client probes, each against a real gateway
 * process on a manifests directory, printed as a table of probe → result.
 * A probe passes when the gateway does what a hardened proxy should (closes,
 * refuses, strips); the counters it printed in `/metrics` are shown beside.
 *
 * ```sh
 * deno task probes                          # this checkout
 * deno task probes --main /tmp/old/main.ts  # another checkout's gateway (before/after)
 * deno task probes --only silent,memory     # the probes whose names contain these words
 * deno task probes --stalled 2000           # stalled uploads in the memory probe
 * deno task probes --gateway-env MALLOC_ARENA_MAX=2   # the gateways' environment
 * deno task probes --only memory --malloc-trim        # how much glibc's malloc_trim gives back
 * ```
 * Exits 1 when a probe failed.
 * @module
 */
// deno-lint-ignore-file no-console
import { maybeFlag } from "./_flags.ts";
import { type GatewayProcess, startGateway } from "../tests/_helpers/gateway_process.ts";
import { metricValue } from "../tests/_helpers/metric_value.ts";
import { type EchoRecord, startEchoBackend } from "../tests/_helpers/echo_backend.ts";
import { freePort } from "./_processes.ts";
import { hardeningManifests, writeManifests } from "../tests/e2e/_manifests.ts";
import { type ProbeContext, PROBES, stopSharedGateway } from "./_probe_list.ts";

const mainPath = maybeFlag("main");
const only = maybeFlag("only")?.split(",");
const stalled = Number(maybeFlag("stalled") ?? 1000);
const mallocTrim = Deno.args.includes("--malloc-trim");
/** `--gateway-env A=1,B=2`: environment of the gateway processes (allocator settings). */
const env = Object.fromEntries(
  (maybeFlag("gateway-env") ?? "").split(",").filter((kv) => kv.includes("=")).map((kv) => {
    const at = kv.indexOf("=");
    return [kv.slice(0, at), kv.slice(at + 1)];
  }),
);

await using publicBackend = startEchoBackend({ name: "public" });
await using adminBackend = startEchoBackend({ name: "admin" });
const port = freePort();
const dir = await Deno.makeTempDir({ prefix: "serval-probes-" });
await writeManifests(
  dir,
  hardeningManifests(port, { public: publicBackend.port, admin: adminBackend.port }),
);

/** A gateway for one probe: the timeouts short (1 s), the open-file limit 1024 unless told. */
function gateway(
  args: string[] = [],
  nofile = 1024,
  denoFlags: string[] = [],
): Promise<GatewayProcess> {
  return startGateway({
    manifests: dir,
    mainPath,
    denoFlags,
    env,
    prefix: nofile > 0 ? ["prlimit", `--nofile=${nofile}`, "--"] : [],
    args: [
      "--client-header-timeout",
      "1s",
      "--client-idle-timeout",
      "1s",
      "--client-body-timeout",
      "1s",
      "--log-level",
      "info",
      ...args,
    ],
  });
}

const context: ProbeContext = {
  port,
  stalled,
  mallocTrim,
  gateway,
  backendRequests: () => publicBackend.requests() + adminBackend.requests(),
  async metric(gw, name, labels) {
    const text = await (await gw.admin("/metrics")).text();
    return metricValue(text, name, labels);
  },
  echoed: (body: string) => JSON.parse(body) as EchoRecord,
};

const rows: { name: string; ok: boolean; result: string }[] = [];
for (const probe of PROBES) {
  if (only !== undefined && !only.some((word) => probe.name.includes(word))) continue;
  const started = performance.now();
  let ok = false;
  let result: string;
  try {
    const outcome = await probe.run(context);
    ok = outcome.ok;
    result = outcome.result;
  } catch (error) {
    result = `error: ${(error as Error)?.message?.split("\n")[0] ?? error}`;
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  rows.push({ name: probe.name, ok, result });
  console.log(`${ok ? "PASS" : "FAIL"} ${probe.name} (${seconds} s): ${result}`);
}

await stopSharedGateway();
console.log(`\n| probe | verdict | result |\n|---|---|---|`);
for (const row of rows) {
  console.log(
    `| ${row.name} | ${row.ok ? "pass" : "FAIL"} | ${row.result.replaceAll("|", "\\|")} |`,
  );
}
await Deno.remove(dir, { recursive: true });
Deno.exit(rows.every((r) => r.ok) ? 0 : 1);
