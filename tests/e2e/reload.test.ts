/**
 * Manifest edits reach the running process without a restart and without a
 * single failed request; a broken edit keeps the last good configuration and
 * says so in `/config` and the metrics.
 */
import { assert, assertEquals } from "@std/assert";
import { startEchoBackend } from "../../scripts/echo_backend.ts";
import { freePort, startGateway } from "../_helpers/gateway_process.ts";
import { waitFor } from "../_helpers/wait_for.ts";
import {
  client,
  gatewayYaml,
  prefixRule,
  routeYaml,
  serviceYaml,
  writeManifests,
} from "./_manifests.ts";

const HOST = "reload.example.com";

/**
 * Requests in a loop from `workers` clients until `finish()`: the loop runs
 * for as long as the test needs to observe the change, whatever the speed.
 */
function hammer(port: number, workers: number) {
  let stop = false;
  let sent = 0;
  const seen: Record<string, number> = {};
  const failures: string[] = [];
  const run = async () => {
    while (!stop) {
      sent += 1;
      try {
        const res = await fetch(`http://127.0.0.1:${port}/v1/x`, {
          client,
          headers: { host: HOST },
        });
        const backend = res.headers.get("x-echo-backend") ?? "none";
        await res.body?.cancel();
        if (res.status !== 200) failures.push(`status ${res.status}`);
        seen[backend] = (seen[backend] ?? 0) + 1;
      } catch (error) {
        failures.push(error instanceof Error ? error.message : String(error));
      }
    }
  };
  const done = Promise.all(Array.from({ length: workers }, run));
  return {
    seen,
    failures,
    sent: () => sent,
    async finish() {
      stop = true;
      await done;
    },
  };
}

async function backendOf(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/v1/x`, { client, headers: { host: HOST } });
  await res.body?.cancel();
  return res.headers.get("x-echo-backend") ?? `status ${res.status}`;
}

Deno.test("manifest edits are served without restart; a broken edit keeps the last good config", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "serval-e2e-reload-" });
  const a = startEchoBackend({ name: "a" });
  const b = startEchoBackend({ name: "b" });
  const port = freePort();
  await writeManifests(dir, {
    "gateway.yaml": gatewayYaml(port),
    "services.yaml": [serviceYaml("a", a.port), serviceYaml("b", b.port)].join("---\n"),
    "route.yaml": routeYaml("reload", [HOST], prefixRule("/v1", "a")),
  });
  await using gw = await startGateway({ manifests: dir });
  try {
    assertEquals(await backendOf(port), "a");

    await t.step("an edit switches the backend while 8 clients see zero errors", async () => {
      const load = hammer(port, 8);
      try {
        // Every client is under way on the old backend before the edit.
        await waitFor("requests served by the old backend", () => (load.seen.a ?? 0) >= 8);
        await writeManifests(dir, {
          "route.yaml": routeYaml("reload", [HOST], prefixRule("/v1", "b")),
        });
        // The load itself sees the switch: the edit landed while requests were running.
        await waitFor("the load reaching the new backend", () => (load.seen.b ?? 0) >= 8);
      } finally {
        await load.finish();
      }
      assertEquals(load.failures, [], `failures after ${load.sent()} requests`);
      assert((load.seen.a ?? 0) > 0 && (load.seen.b ?? 0) > 0, JSON.stringify(load.seen));
    });

    await t.step("a broken edit keeps serving and shows in /config and /metrics", async () => {
      await writeManifests(dir, { "route.yaml": "kind: HTTPRoute\nspec: [unclosed\n" });
      await waitFor("the problem in /config", async () => {
        const text = await (await gw.admin("/config")).text();
        return text.includes("route.yaml");
      });
      assertEquals(await backendOf(port), "b");
      await waitFor("the problem in /metrics", async () => {
        const metrics = await (await gw.admin("/metrics")).text();
        return /serval_config_problems [1-9]/.test(metrics);
      });
      await gw.waitForLog((r) => r.msg === "configuration served with problems");
      assertEquals(await backendOf(port), "b");
      const ready = await gw.admin("/readyz");
      assertEquals(ready.status, 200, "a user mistake does not make the replica unready");
      await ready.body?.cancel();
    });

    await t.step("fixing the file recovers", async () => {
      await writeManifests(dir, {
        "route.yaml": routeYaml("reload", [HOST], prefixRule("/v1", "a")),
      });
      await waitFor("the fixed route", async () => (await backendOf(port)) === "a");
      await waitFor("the problem gone from /metrics", async () => {
        const metrics = await (await gw.admin("/metrics")).text();
        return /serval_config_problems 0/.test(metrics);
      });
    });
  } finally {
    assertEquals((await gw.stop()).code, 0);
    await a.close();
    await b.close();
    await Deno.remove(dir, { recursive: true });
  }
});
