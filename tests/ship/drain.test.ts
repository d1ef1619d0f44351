/**
 * SIGTERM drain as kubelet and the load balancer see it, the cases
 * `tests/e2e/shutdown.test.ts` leaves out: the *telemetry* `/readyz` (what
 * the readiness probe hits) turns 503 at once while `/healthz` stays 200 (a
 * draining pod must not be restarted), and brand-new TCP connections are
 * accepted and served for the whole drain delay, then refused; exit 0.
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { startEchoBackend } from "../../scripts/echo_backend.ts";
import { freePort, startGateway } from "../_helpers/gateway_process.ts";
import { oneRouteManifests } from "./_shipped_process.ts";

const HOST = "drain.test";

/** One request on a new TCP connection; the status code, or "refused". */
async function onNewConnection(port: number): Promise<number | "refused"> {
  let conn: Deno.TcpConn;
  try {
    conn = await Deno.connect({ hostname: "127.0.0.1", port });
  } catch (error) {
    if (error instanceof Deno.errors.ConnectionRefused) return "refused";
    throw error;
  }
  try {
    await conn.write(new TextEncoder().encode(
      `GET /new HTTP/1.1\r\nHost: ${HOST}\r\nConnection: close\r\n\r\n`,
    ));
    let head = "";
    const buf = new Uint8Array(4096);
    while (!head.includes("\r\n")) {
      const n = await conn.read(buf);
      if (n === null) break;
      head += new TextDecoder().decode(buf.subarray(0, n));
    }
    const status = /^HTTP\/1\.1 (\d{3})/.exec(head)?.[1];
    assert(status, `no status line: ${JSON.stringify(head)}`);
    return Number(status);
  } finally {
    conn.close();
  }
}

async function statusOf(url: string): Promise<number> {
  const res = await fetch(url);
  await res.body?.cancel();
  return res.status;
}

Deno.test("during the drain delay the telemetry /readyz is 503, /healthz 200, and new connections are served; then refused; exit 0", async () => {
  const dir = await Deno.makeTempDir({ prefix: "serval-ship-drain-" });
  const backend = startEchoBackend({ name: "echo" });
  const port = freePort();
  try {
    await Deno.writeTextFile(`${dir}/all.yaml`, oneRouteManifests(port, HOST, backend.port));
    // Long enough for the checks below to run inside it on a busy machine.
    const drainMs = 3_000;
    await using gw = await startGateway({
      manifests: dir,
      args: ["--drain-delay", `${drainMs}ms`, "--shutdown-timeout", "2s"],
    });
    assertEquals(await statusOf(`${gw.telemetryUrl}/readyz`), 200);
    assertEquals(await onNewConnection(port), 200);

    gw.kill("SIGTERM");
    const signalled = performance.now();
    await gw.waitForLog((r) => String(r.msg).startsWith("shutting down"));
    assertEquals(await statusOf(`${gw.telemetryUrl}/readyz`), 503, "readiness is not 503 at once");
    assertEquals(
      await statusOf(`${gw.telemetryUrl}/healthz`),
      200,
      "liveness fails while draining",
    );
    // New connections are still served while the delay runs.
    for (let i = 0; i < 3; i++) {
      assertEquals(
        await onNewConnection(port),
        200,
        "a new connection failed during the drain delay",
      );
    }

    const status = await gw.status;
    assertEquals(status.code, 0);
    assert(performance.now() - signalled >= drainMs, "exited before the drain delay ended");
    assertEquals(await onNewConnection(port), "refused");
    assertStringIncludes(gw.logs().join("\n"), "stopped");
  } finally {
    await backend.close();
    await Deno.remove(dir, { recursive: true });
  }
});
