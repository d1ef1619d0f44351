/**
 * The gateway hands glibc's free memory back after route changes
 * (`src/runtime/allocator_trim.ts`), through the real process as the start
 * task runs it (libc reachable by FFI), and says why not when it cannot.
 */
import { assert, assertEquals } from "@std/assert";
import { startEchoBackend } from "../../scripts/echo_backend.ts";
import { freePort, startGateway } from "../_helpers/gateway_process.ts";
import { LIBC_PATHS } from "../../src/dataplane/libc.ts";
import { startKubeWorld } from "./kube_world.ts";
import {
  client,
  gatewayYaml,
  prefixRule,
  routeYaml,
  serviceYaml,
  writeManifests,
} from "./_manifests.ts";

const TRIMMED = "handed glibc's free memory back";
const NOT_TRIMMED = "glibc's free memory is not handed back after rebuilds";

async function statusOf(port: number, host: string): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/`, { client, headers: { host } });
  await res.body?.cancel();
  return res.status;
}

async function world() {
  const dir = await Deno.makeTempDir({ prefix: "serval-e2e-trim-" });
  const backend = startEchoBackend({ name: "a" });
  const port = freePort();
  await writeManifests(dir, {
    "gateway.yaml": gatewayYaml(port),
    "services.yaml": serviceYaml("a", backend.port),
    "route.yaml": routeYaml("first", ["first.example.com"], prefixRule("/", "a")),
  });
  return {
    dir,
    port,
    async [Symbol.asyncDispose]() {
      await backend.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test({
  name: "after the first table and after a route change the gateway trims glibc's heaps",
  ignore: Deno.build.os !== "linux",
  async fn() {
    await using w = await world();
    await using gw = await startGateway({ manifests: w.dir, args: ["--log-level", "debug"] });
    const first = await gw.waitForLog((r) => r.msg === TRIMMED);
    assert(typeof first.ms === "number" && first.ms >= 0, JSON.stringify(first));
    await writeManifests(w.dir, {
      "route.yaml": routeYaml("second", ["second.example.com"], prefixRule("/", "a")),
    });
    // Lines are looked at in order: a trim after the second table's line.
    let changed = false;
    await gw.waitForLog((r) => {
      if (r.msg === "configuration served" && r.generation === 2) changed = true;
      return changed && r.msg === TRIMMED;
    });
    assertEquals(await statusOf(w.port, "second.example.com"), 200);
    assertEquals(gw.logRecords().filter((r) => r.msg === NOT_TRIMMED), []);
  },
});

Deno.test("without --allow-ffi the gateway says glibc's memory is not handed back, and serves", async () => {
  await using w = await world();
  // A bare --deny-ffi leaves the start task's --allow-ffi for libc's paths granted (Deno 2.9.6).
  await using gw = await startGateway({
    manifests: w.dir,
    denoFlags: [`--deny-ffi=${LIBC_PATHS.join(",")}`],
  });
  const line = await gw.waitForLog((r) => r.msg === NOT_TRIMMED);
  assert(String(line.reason).includes("--allow-ffi"), JSON.stringify(line));
  assertEquals(await statusOf(w.port, "first.example.com"), 200);
});

Deno.test({
  name: "the status writer's writes arm a trim too, with no rebuild after them",
  ignore: Deno.build.os !== "linux",
  async fn() {
    await using world = await startKubeWorld();
    const gw = await world.start("trim", { args: ["--log-level", "debug"] });
    // Lines are looked at in order; a rebuild's line comes before the trim it arms.
    // A trim with no rebuild since the one before was armed by something else.
    let trims = 0;
    let rebuildsSinceTrim = 0;
    await gw.waitForLog((r) => {
      if (r.msg === "configuration served") rebuildsSinceTrim++;
      if (r.msg !== TRIMMED) return false;
      if (trims++ > 0 && rebuildsSinceTrim === 0) return true;
      rebuildsSinceTrim = 0;
      return false;
    });
    assert(gw.statusPatches().length > 0);
  },
});
