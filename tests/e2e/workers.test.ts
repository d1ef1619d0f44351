/**
 * The real gateway process with `--workers 2`: both workers bind the data
 * port, routing works whichever worker takes a connection, `/metrics` in the
 * main isolate counts every request, and SIGTERM still exits 0.
 */
import { assert, assertEquals } from "@std/assert";
import { startEchoBackend } from "../../scripts/echo_backend.ts";
import { freePort, startGateway } from "../_helpers/gateway_process.ts";
import { gatewayYaml, prefixRule, routeYaml, serviceYaml, writeManifests } from "./_manifests.ts";

/** One request on a connection of its own, so the kernel picks a worker each time. */
async function freshGet(port: number, host: string): Promise<{ status: number; backend: string }> {
  const client = Deno.createHttpClient({ poolMaxIdlePerHost: 0, allowHost: true });
  try {
    const res = await fetch(`http://127.0.0.1:${port}/x`, { client, headers: { host } });
    await res.body?.cancel();
    return { status: res.status, backend: res.headers.get("x-echo-backend") ?? "" };
  } finally {
    client.close();
  }
}

function requestsCounted(metrics: string): number {
  let total = 0;
  for (const line of metrics.split("\n")) {
    if (line.startsWith("serval_http_requests_total{")) total += Number(line.split(" ").at(-1));
  }
  return total;
}

Deno.test("with --workers 2 both workers serve the port and /metrics counts every request", async () => {
  const dir = await Deno.makeTempDir({ prefix: "serval-e2e-workers-" });
  const a = startEchoBackend({ name: "a" });
  const b = startEchoBackend({ name: "b" });
  const port = freePort();
  await writeManifests(dir, {
    "gateway.yaml": gatewayYaml(port),
    "services.yaml": [serviceYaml("a", a.port), serviceYaml("b", b.port)].join("---\n"),
    "routes.yaml": [
      routeYaml("host-a", ["a.example.com"], prefixRule("/", "a")),
      routeYaml("host-b", ["b.example.com"], prefixRule("/", "b")),
    ].join("---\n"),
  });
  const gw = await startGateway({
    manifests: dir,
    args: ["--workers", "2", "--drain-delay", "0s"],
  });
  try {
    for (const worker of [0, 1]) {
      await gw.waitForLog((r) =>
        r.msg === "listener bound" && r.port === port && r.worker === worker &&
        r.component === "dataplane"
      );
    }

    const total = 40;
    for (let i = 0; i < total; i++) {
      const host = i % 2 === 0 ? "a.example.com" : "b.example.com";
      assertEquals(await freshGet(port, host), { status: 200, backend: host[0] });
    }
    assertEquals((await freshGet(port, "nobody.example.com")).status, 404);

    let counted = 0;
    const deadline = performance.now() + 60_000;
    while (counted < total + 1 && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      counted = requestsCounted(await (await gw.admin("/metrics")).text());
    }
    assertEquals(counted, total + 1);
  } finally {
    const status = await gw.stop();
    await a.close();
    await b.close();
    await Deno.remove(dir, { recursive: true });
    assertEquals(status.code, 0);
    assert(gw.logRecords().some((r) => r.msg === "stopped"), "no clean stop in the log");
  }
});
