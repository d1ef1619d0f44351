/**
 * SIGTERM drains: readiness turns 503 at once, listeners keep accepting for
 * `--drain-delay`, in-flight requests finish, and the process exits 0.
 */
import { assert, assertEquals, assertRejects } from "@std/assert";
import { startEchoBackend } from "../../scripts/echo_backend.ts";
import { freePort, startGateway } from "../_helpers/gateway_process.ts";
import {
  client,
  gatewayYaml,
  prefixRule,
  routeYaml,
  serviceYaml,
  writeManifests,
} from "./_manifests.ts";

const HOST = "drain.example.com";

async function setup() {
  const dir = await Deno.makeTempDir({ prefix: "serval-e2e-drain-" });
  const backend = startEchoBackend({ name: "slow" });
  const port = freePort();
  await writeManifests(dir, {
    "all.yaml": [
      gatewayYaml(port),
      serviceYaml("slow", backend.port),
      routeYaml("drain", [HOST], prefixRule("/", "slow")),
    ].join("---\n"),
  });
  return { dir, backend, port };
}

function request(port: number, delayMs: number) {
  return fetch(`http://127.0.0.1:${port}/work`, {
    client,
    headers: { host: HOST, "x-echo-delay": String(delayMs) },
  });
}

Deno.test("SIGTERM: readiness 503 at once, new requests served during the drain delay, in-flight finishes, exit 0", async () => {
  const { dir, backend, port } = await setup();
  await using gw = await startGateway({
    manifests: dir,
    args: ["--drain-delay", "800ms", "--shutdown-timeout", "5s"],
  });
  try {
    const inFlight = request(port, 1_500);
    await new Promise((r) => setTimeout(r, 200));
    const started = performance.now();
    gw.kill("SIGTERM");
    await gw.waitForLog((r) => String(r.msg).startsWith("shutting down"), 2_000);
    const ready = await gw.admin("/readyz");
    assertEquals(ready.status, 503);
    await ready.body?.cancel();

    const during = await request(port, 0);
    assertEquals(during.status, 200, "still accepting during the drain delay");
    await during.body?.cancel();

    const res = await inFlight;
    assertEquals(res.status, 200);
    assertEquals((await res.json()).backend, "slow");
    const status = await gw.status;
    assertEquals(status.code, 0);
    const elapsed = performance.now() - started;
    assert(elapsed >= 800, `exited after ${elapsed} ms, before the drain delay ended`);
    await assertRejects(() => request(port, 0), TypeError);
  } finally {
    await backend.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SIGTERM: a request slower than --shutdown-timeout does not hold the exit", async () => {
  const { dir, backend, port } = await setup();
  await using gw = await startGateway({
    manifests: dir,
    args: ["--drain-delay", "0s", "--shutdown-timeout", "300ms"],
  });
  try {
    const slow = request(port, 2_500).then((r) => r.body?.cancel(), () => undefined);
    await new Promise((r) => setTimeout(r, 200));
    const started = performance.now();
    const status = await gw.stop(4_000);
    assertEquals(status.code, 0);
    assert(performance.now() - started < 2_000, "exit waited for the slow request");
    await gw.waitForLog((r) => String(r.msg).includes("did not finish in time"), 100);
    await slow;
  } finally {
    await backend.close();
    await Deno.remove(dir, { recursive: true });
  }
});
