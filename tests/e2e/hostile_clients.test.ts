/**
 * Clients that try to take the gateway down, against the real process:
 * connections that stall (closed at the configured timeouts, measured by
 * waiting for the close, never by sleeping) and a flood of connections past
 * the process's open-file limit (the process sheds load and stays up).
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { startEchoBackend } from "../../scripts/echo_backend.ts";
import { freePort, type GatewayProcess, startGateway } from "../_helpers/gateway_process.ts";
import { metricValue } from "../_helpers/metric_value.ts";
import { waitFor } from "../_helpers/wait_for.ts";
import {
  client,
  gatewayYaml,
  prefixRule,
  routeYaml,
  serviceYaml,
  writeManifests,
} from "./_manifests.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const TIMEOUT_MS = 400;

/** One counter sample from the process's `/metrics` (0 when not printed). */
async function counter(
  gw: GatewayProcess,
  name: string,
  labels: Record<string, string>,
): Promise<number> {
  const text = await (await gw.admin("/metrics")).text();
  return metricValue(text, name, labels) ?? 0;
}

async function manifests(port: number, backendPort: number): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "serval-hostile-" });
  await writeManifests(dir, {
    "gateway.yaml": gatewayYaml(port),
    "services.yaml": serviceYaml("a", backendPort),
    "routes.yaml": routeYaml("a", ["a.example.com"], prefixRule("/", "a")),
  });
  return dir;
}

/** Sends `bytes`, then reads until the gateway closes; what it answered and after how long. */
async function sendAndAwaitClose(port: number, bytes: string) {
  // Timed from before the connect: the gateway's timer starts at its accept, which can come
  // before this side sees its connect resolve on a busy machine.
  const started = performance.now();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  if (bytes !== "") await conn.write(encoder.encode(bytes));
  let answer = "";
  const buffer = new Uint8Array(4096);
  while (true) {
    const n = await conn.read(buffer).catch(() => null);
    if (n === null) break;
    answer += decoder.decode(buffer.subarray(0, n));
  }
  conn.close();
  return { answer, elapsedMs: performance.now() - started };
}

Deno.test("stalled clients are closed at the client header and idle timeouts", async (t) => {
  const backend = startEchoBackend({ name: "a" });
  const port = freePort();
  await using gw = await startGateway({
    manifests: await manifests(port, backend.port),
    args: [
      "--client-header-timeout",
      `${TIMEOUT_MS}ms`,
      "--client-idle-timeout",
      `${TIMEOUT_MS}ms`,
    ],
  });
  const head = "Host: a.example.com\r\n";
  try {
    await t.step("a connection that sends nothing", async () => {
      const { answer, elapsedMs } = await sendAndAwaitClose(port, "");
      assertEquals(answer, "");
      assert(elapsedMs >= TIMEOUT_MS, `closed after ${elapsedMs} ms`);
    });
    await t.step("half a request head", async () => {
      const { answer, elapsedMs } = await sendAndAwaitClose(port, `GET / HTTP/1.1\r\n${head}`);
      assertEquals(answer, "");
      assert(elapsedMs >= TIMEOUT_MS, `closed after ${elapsedMs} ms`);
    });
    await t.step("an idle keep-alive connection, after its answer", async () => {
      const { answer } = await sendAndAwaitClose(port, `GET /x HTTP/1.1\r\n${head}\r\n`);
      assert(answer.startsWith("HTTP/1.1 200"), answer);
    });
    await t.step("the gateway still serves, and logged no error", async () => {
      const res = await fetch(`http://127.0.0.1:${port}/ok`, {
        client,
        headers: { host: "a.example.com" },
      });
      assertEquals(res.status, 200);
      await res.body?.cancel();
      assertEquals(gw.logRecords().filter((r) => r.level === "error"), []);
    });
    await t.step("each timeout is counted by kind in /metrics", async () => {
      // Each connection above was closed before its step ended; the last
      // fetch's connection may add one more idle timeout meanwhile.
      const timeouts = "serval_client_timeouts_total";
      assertEquals(await counter(gw, timeouts, { kind: "header" }), 2);
      assert(await counter(gw, timeouts, { kind: "idle" }) >= 1);
      assertEquals(await counter(gw, timeouts, { kind: "body" }), 0);
    });
  } finally {
    await gw.stop();
    await backend.close();
  }
});

Deno.test("with --workers 2 the workers close half heads at the header timeout (the settings reach every worker)", async () => {
  const backend = startEchoBackend({ name: "a" });
  const port = freePort();
  await using gw = await startGateway({
    manifests: await manifests(port, backend.port),
    args: ["--workers", "2", "--client-header-timeout", `${TIMEOUT_MS}ms`],
  });
  try {
    // The kernel spreads these over both workers (by address hash); any worker without the
    // settings would hold its connections open and fail the test.
    const results = await Promise.all(
      Array.from(
        { length: 8 },
        () => sendAndAwaitClose(port, "GET / HTTP/1.1\r\nHost: a.example.com\r\n"),
      ),
    );
    for (const { answer, elapsedMs } of results) {
      assertEquals(answer, "");
      assert(elapsedMs >= TIMEOUT_MS, `closed after ${elapsedMs} ms`);
    }
    // The workers' counts reach the main isolate's /metrics in their next batch.
    await waitFor(
      "8 header timeouts in /metrics",
      async () => await counter(gw, "serval_client_timeouts_total", { kind: "header" }) === 8,
    );
  } finally {
    await gw.stop();
    await backend.close();
  }
});

Deno.test("a stalled request body is answered 408 and its connection closed at once", async (t) => {
  const backend = startEchoBackend({ name: "a" });
  const port = freePort();
  await using gw = await startGateway({
    manifests: await manifests(port, backend.port),
    // Only the body timeout is short: the close after the 408 cannot be an idle timeout.
    args: ["--client-idle-timeout", "10m", "--client-body-timeout", `${TIMEOUT_MS}ms`],
  });
  const head = "Host: a.example.com\r\n";
  try {
    for (const length of [65536, 1_000_000]) {
      await t.step(`a POST of Content-Length ${length} that stops after one byte`, async () => {
        const { answer, elapsedMs } = await sendAndAwaitClose(
          port,
          `POST /upload HTTP/1.1\r\n${head}Content-Length: ${length}\r\n\r\nx`,
        );
        assert(answer.startsWith("HTTP/1.1 408"), answer);
        assertStringIncludes(answer.toLowerCase(), "connection: close");
        assert(elapsedMs >= TIMEOUT_MS, `answered after ${elapsedMs} ms`);
      });
    }
    assertEquals(gw.logRecords().filter((r) => r.level === "error"), []);
    assertEquals(await counter(gw, "serval_client_timeouts_total", { kind: "body" }), 2);
  } finally {
    await gw.stop();
    await backend.close();
  }
});

Deno.test("past the open-file limit the process sheds connections and keeps serving", async () => {
  const backend = startEchoBackend({ name: "a" });
  const port = freePort();
  await using gw = await startGateway({
    manifests: await manifests(port, backend.port),
    prefix: ["prlimit", "--nofile=256", "--"],
    // Held heads must outlive the flood; only shedding may close them.
    args: ["--client-header-timeout", "10m", "--log-level", "info"],
  });
  const flood: Deno.Conn[] = [];
  try {
    // Open half heads until the gateway reports running out, whatever the
    // machine's speed; 4000 is far past 256 descriptors.
    const outOfDescriptors = gw.waitForLog(
      (r) => r.msg === "Out of file descriptors: limiting client connections",
      120_000,
    );
    let seen = false;
    void outOfDescriptors.then(() => seen = true, () => {});
    while (!seen && flood.length < 4000) {
      const batch = await Promise.all(Array.from({ length: 25 }, async () => {
        const conn = await Deno.connect({ hostname: "127.0.0.1", port });
        await conn.write(encoder.encode("GET / HTTP/1.1\r\nHost: a.example.com\r\n"));
        return conn;
      }));
      flood.push(...batch);
      await gw.admin("/healthz").then((res) => res.body?.cancel()).catch(() => {});
    }
    const record = await outOfDescriptors;
    assert(Number(record.limit) >= 16, JSON.stringify(record));
    const rejected = "serval_client_connections_rejected_total";

    const health = await gw.admin("/healthz", { signal: AbortSignal.timeout(60_000) });
    assertEquals(health.status, 200, "the admin port answers while the flood holds on");
    await health.body?.cancel();
    assert(await counter(gw, rejected, { reason: "descriptors" }) >= 1, "accept failures counted");

    for (const conn of flood.splice(0)) conn.close();
    // Once the flood is gone the data plane answers again.
    const deadline = performance.now() + 60_000;
    let status = 0;
    while (status !== 200 && performance.now() < deadline) {
      status = await fetch(`http://127.0.0.1:${port}/back`, {
        client,
        headers: { host: "a.example.com" },
        signal: AbortSignal.timeout(10_000),
      }).then(async (res) => {
        await res.body?.cancel();
        return res.status;
      }).catch(() => 0);
    }
    assertEquals(status, 200);
    const logs = gw.logs().join("\n");
    assert(!logs.includes("Uncaught"), "no uncaught error");
    assertEquals((await gw.stop()).code, 0);
  } finally {
    for (const conn of flood) conn.close();
    await backend.close();
  }
});

Deno.test("connections past the port's and the process's limits are closed and counted by reason", async (t) => {
  const backend = startEchoBackend({ name: "a" });
  for (
    const [flag, reason] of [["--max-connections-per-port", "port"], [
      "--max-connections",
      "global",
    ]]
  ) {
    await t.step(`${flag} 2`, async () => {
      const port = freePort();
      await using gw = await startGateway({
        manifests: await manifests(port, backend.port),
        args: [flag, "2"],
      });
      // Two keep-alive connections, answered (so accepted and counted) before the third.
      const held: Deno.Conn[] = [];
      try {
        for (let i = 0; i < 2; i++) {
          const conn = await Deno.connect({ hostname: "127.0.0.1", port });
          held.push(conn);
          await conn.write(encoder.encode("GET /x HTTP/1.1\r\nHost: a.example.com\r\n\r\n"));
          const buffer = new Uint8Array(4096);
          const n = await conn.read(buffer);
          assert(decoder.decode(buffer.subarray(0, n ?? 0)).startsWith("HTTP/1.1 200"));
        }
        const { answer } = await sendAndAwaitClose(
          port,
          "GET /x HTTP/1.1\r\nHost: a.example.com\r\n\r\n",
        );
        assertEquals(answer, "");
        const name = "serval_client_connections_rejected_total";
        assertEquals(await counter(gw, name, { reason }), 1);
        assertEquals(await counter(gw, name, { reason: reason === "port" ? "global" : "port" }), 0);
      } finally {
        for (const conn of held) conn.close();
      }
    });
  }
  await backend.close();
});
