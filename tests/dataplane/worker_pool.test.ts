import { assert, assertEquals } from "@std/assert";
import type { RequestRecord } from "../../src/dataplane/observer.ts";
import { createWorkerPool } from "../../src/dataplane/worker_pool.ts";
import { startEchoBackend } from "../_helpers/echo_backend.ts";
import { createLogger } from "../../src/log/logger.ts";
import { freePorts } from "../_helpers/gateway_process.ts";
import { backend, testConfig } from "./_config.ts";
import { waitFor } from "../_helpers/wait_for.ts";
import { flushTasks } from "../_helpers/fake_clock.ts";

/** One request on a connection of its own, so the kernel picks a worker each time. */
async function freshGet(port: number, path: string): Promise<number> {
  const client = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
  try {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { client });
    await res.body?.cancel();
    return res.status;
  } finally {
    client.close();
  }
}

/** Waits for `check` to hold (a 60 s deadline only a defect reaches). */
const until = (what: string, check: () => boolean): Promise<void> => waitFor(what, check);

function recorder() {
  const requests: RequestRecord[] = [];
  const errors: string[] = [];
  return {
    requests,
    errors,
    observer: {
      onRequest: (r: RequestRecord) => requests.push(r),
      onUpstreamError: (backend: string, kind: string) => errors.push(`${backend} ${kind}`),
      onClientEvent() {},
    },
  };
}

Deno.test("two workers share one port and both answer fresh connections", async () => {
  await using echo = startEchoBackend();
  const [port] = freePorts(1);
  const seen = recorder();
  const pool = createWorkerPool({
    workers: 2,
    hostname: "127.0.0.1",
    observer: seen.observer,
    flushMs: 50,
  });
  try {
    const config = testConfig(port, [{ path: "/", backends: [backend("echo", [echo.port])] }]);
    const states = await pool.reconcile({ config });
    assertEquals(states, [{ port, protocol: "HTTP", bound: true }]);
    assert(pool.ready());
    // Fresh connections until both workers have answered some: the kernel
    // spreads them by a hash, so how many that takes varies.
    let total = 0;
    await waitFor("a request answered by every worker", async () => {
      assertEquals(await freshGet(port, `/n/${total++}`), 200);
      return pool.workerStats().every((s) => s.requests > 0);
    });
    await until("every request in the main isolate", () => seen.requests.length === total);
    const stats = pool.workerStats();
    assertEquals(stats.map((s) => s.requests).reduce((a, b) => a + b), total);
    assert(seen.requests.every((r) => r.status === 200 && r.route !== "none"));
  } finally {
    await pool.shutdown({ graceMs: 1000 });
  }
});

Deno.test("a new config reaches every worker", async () => {
  await using echo = startEchoBackend();
  const [port] = freePorts(1);
  const seen = recorder();
  const pool = createWorkerPool({ workers: 2, hostname: "127.0.0.1", observer: seen.observer });
  try {
    await pool.reconcile({
      config: testConfig(port, [{ path: "/old", backends: [backend("echo", [echo.port])] }]),
    });
    assertEquals(await freshGet(port, "/new"), 404);
    await pool.reconcile({
      config: testConfig(port, [{ path: "/new", backends: [backend("echo", [echo.port])] }]),
    });
    const statuses = new Set<number>();
    for (let i = 0; i < 30; i++) statuses.add(await freshGet(port, "/new"));
    assertEquals([...statuses], [200]);
  } finally {
    await pool.shutdown({ graceMs: 1000 });
  }
});

Deno.test("upstream errors of the workers reach the main observer", async () => {
  const [port, dead] = freePorts(2);
  const seen = recorder();
  const pool = createWorkerPool({
    workers: 2,
    hostname: "127.0.0.1",
    observer: seen.observer,
    flushMs: 50,
  });
  try {
    await pool.reconcile({
      config: testConfig(port, [{ path: "/", backends: [backend("gone", [dead])] }]),
    });
    for (let i = 0; i < 4; i++) assertEquals(await freshGet(port, "/"), 502);
    await until("the upstream errors", () => seen.errors.length >= 4);
    assert(seen.errors.every((e) => e === "service/default/gone:80 connect"), seen.errors.join());
  } finally {
    await pool.shutdown({ graceMs: 1000 });
  }
});

Deno.test("shutdown drains in-flight requests in every worker, then the port is closed", async () => {
  await using echo = startEchoBackend();
  const [port] = freePorts(1);
  const seen = recorder();
  const pool = createWorkerPool({ workers: 2, hostname: "127.0.0.1", observer: seen.observer });
  await pool.reconcile({
    config: testConfig(port, [{ path: "/", backends: [backend("echo", [echo.port])] }]),
  });
  const clients = [0, 1, 2, 3].map(() => Deno.createHttpClient({ poolMaxIdlePerHost: 0 }));
  try {
    const inFlight = clients.map((client) =>
      fetch(`http://127.0.0.1:${port}/slow`, { client, headers: { "x-echo-action": "hold" } })
    );
    await until("every request held at the backend", () => echo.held() === 4);
    const draining = pool.shutdown({ graceMs: 60_000 });
    let drainedEarly = false;
    draining.then(() => drainedEarly = echo.held() > 0);
    await flushTasks();
    echo.release();
    const drained = await draining;
    assert(!drainedEarly, "shutdown returned while requests were in flight");
    for (const res of await Promise.all(inFlight)) {
      assertEquals(res.status, 200);
      await res.body?.cancel();
    }
    assert(drained);
    assertEquals(pool.ready(), false);
    // The last batch is posted at shutdown: nothing is lost.
    assertEquals(seen.requests.length, 4);
    const refused = await freshGet(port, "/").catch((error) => (error as Error).name);
    assertEquals(refused, "TypeError");
  } finally {
    for (const client of clients) client.close();
  }
});

Deno.test("a crashed worker is logged, restarted with the current config, at most maxRestarts times", async () => {
  await using echo = startEchoBackend();
  const [port] = freePorts(1);
  const dir = await Deno.makeTempDir({ prefix: "serval-crash-" });
  Deno.env.set("SERVAL_TEST_CRASH_DIR", dir);
  const lines: Record<string, unknown>[] = [];
  const pool = createWorkerPool({
    workers: 2,
    hostname: "127.0.0.1",
    logger: createLogger({ level: "error", write: (line) => lines.push(JSON.parse(line)) }),
    maxRestarts: 1,
    workerUrl: new URL("./_crashing_worker.ts", import.meta.url),
  });
  try {
    await pool.reconcile({
      config: testConfig(port, [{ path: "/old", backends: [backend("echo", [echo.port])] }]),
    });
    assert(pool.ready());

    await Deno.writeTextFile(`${dir}/crash-1`, "");
    await pool.reconcile({
      config: testConfig(port, [{ path: "/new", backends: [backend("echo", [echo.port])] }]),
    });
    await until("the restart", () => pool.workerStats()[1].restarts === 1 && pool.ready());
    assertEquals(lines[0].msg, "data-plane worker crashed");
    assertEquals([lines[0].worker, lines[0].restarting], [1, true]);
    const statuses = new Set<number>();
    for (let i = 0; i < 20; i++) statuses.add(await freshGet(port, "/new"));
    assertEquals([...statuses], [200]);

    await Deno.writeTextFile(`${dir}/crash-1`, "");
    await pool.reconcile({
      config: testConfig(port, [{ path: "/", backends: [backend("echo", [echo.port])] }]),
    });
    await until("the second crash", () => !pool.workerStats()[1].alive);
    assertEquals([lines[1].worker, lines[1].restarting], [1, false]);
    assertEquals(pool.ready(), false);
    const [state] = pool.states();
    assertEquals(state.bound, false);
    assert(state.error?.includes("crashed"), state.error);
    // Worker 0 still serves the port alone.
    assertEquals(await freshGet(port, "/"), 200);
  } finally {
    await pool.shutdown({ graceMs: 1000 });
    Deno.env.delete("SERVAL_TEST_CRASH_DIR");
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a worker's idle collection reaches the pool's onIdleCollection (the process trims after it)", async () => {
  await using echo = startEchoBackend();
  const [port] = freePorts(1);
  let collections = 0;
  const pool = createWorkerPool({
    workers: 2,
    hostname: "127.0.0.1",
    // Any growth of an idle heap is collected: the wiring is under test, not the thresholds.
    idleCollector: { intervalMs: 20, growthBytes: 1 },
    onIdleCollection: () => collections++,
  });
  try {
    await pool.reconcile({
      config: testConfig(port, [{ path: "/", backends: [backend("echo", [echo.port])] }]),
    });
    for (let i = 0; i < 20; i++) assertEquals(await freshGet(port, "/"), 200);
    await waitFor("a worker's collection", () => collections > 0);
  } finally {
    await pool.shutdown({ graceMs: 1000 });
  }
});
