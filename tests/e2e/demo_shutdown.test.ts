/**
 * `deno task demo` stops on one Ctrl-C with one clean drain. A terminal sends
 * Ctrl-C's SIGINT to its whole foreground process group; the test puts the
 * demo's arrangement (a supervisor and its gateway child) in a process group
 * of its own and signals the group, as a terminal would.
 */
import { assert, assertEquals, assertFalse } from "@std/assert";
import { freePort, freePorts } from "../_helpers/gateway_process.ts";
import { waitFor } from "../_helpers/wait_for.ts";
import { gatewayYaml, writeManifests } from "./_manifests.ts";

const DRIVER = new URL("./_demo_driver.ts", import.meta.url).pathname;

async function collect(stream: ReadableStream<Uint8Array>, into: string[]): Promise<void> {
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) into.push(chunk);
}

Deno.test("one Ctrl-C stops the demo with one clean drain and no in-flight warning", async () => {
  const dir = await Deno.makeTempDir({ prefix: "serval-e2e-demo-" });
  await writeManifests(dir, { "gateway.yaml": gatewayYaml(freePort()) });
  const [adminPort, telemetryPort] = freePorts(2);
  const demo = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", DRIVER, dir, String(adminPort), String(telemetryPort)],
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    // Its own process group, like a job a shell starts in the foreground.
    detached: true,
  }).spawn();
  const output: string[] = [];
  const read = Promise.all([collect(demo.stdout, output), collect(demo.stderr, output)]);
  try {
    await waitFor("the gateway ready behind the demo supervisor", async () => {
      const res = await fetch(`http://127.0.0.1:${adminPort}/readyz`);
      await res.body?.cancel();
      return res.ok;
    }, { retryErrors: true });
    Deno.kill(-demo.pid, "SIGINT");
    const status = await demo.status;
    await read;
    const log = output.join("");
    assertEquals(status.code, 0, log);
    assertFalse(log.includes("did not finish in time"), log);
    assert(log.includes("stopped"), log);
    assertEquals(log.match(/shutting down/g)?.length, 1, log);
  } finally {
    try {
      Deno.kill(-demo.pid, "SIGKILL");
    } catch {
      // The group is gone: the normal case.
    }
    await demo.status;
    await read.catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
});
