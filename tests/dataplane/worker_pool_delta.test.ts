/**
 * The worker pool posts deltas: after the first config, each change crosses
 * as what changed, every worker serves it as soon as `reconcile` resolves,
 * and a restarted worker gets the whole current config.
 */
import { assert, assertEquals } from "@std/assert";
import { createWorkerPool, type WorkerPool } from "../../src/dataplane/worker_pool.ts";
import { createLogger } from "../../src/log/logger.ts";
import type { RuleConfig, VirtualHostConfig } from "../../src/model/config.ts";
import { startEchoBackend } from "../_helpers/echo_backend.ts";
import { freePorts } from "../_helpers/gateway_process.ts";
import { waitFor } from "../_helpers/wait_for.ts";
import {
  oneListenerConfig,
  prefixHost,
  routeRule,
  testBackend,
} from "../../scripts/config_fixtures.ts";

/** One request on a connection of its own, so the kernel picks a worker each time. */
async function freshGet(port: number, host: string, path: string): Promise<number> {
  const client = Deno.createHttpClient({ poolMaxIdlePerHost: 0, allowHost: true });
  try {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { client, headers: { host } });
    await res.body?.cancel();
    return res.status;
  } finally {
    client.close();
  }
}

/**
 * Asks until every worker has answered since now, each answer `status`.
 * Counts arrive in batches, and a crashed worker's last batch never does:
 * requests sent before and not yet counted could be any worker's, so each
 * worker must count more new ones than there were of those.
 */
async function everyWorkerAnswers(
  pool: WorkerPool,
  sent: { count: number },
  ask: { port: number; host: string; path: string; status: number },
): Promise<void> {
  const counts = () => pool.workerStats().map((s) => s.requests);
  const before = counts();
  const uncounted = sent.count - before.reduce((a, b) => a + b);
  await waitFor(`${ask.host}${ask.path} answered ${ask.status} by every worker`, async () => {
    sent.count++;
    assertEquals(await freshGet(ask.port, ask.host, ask.path), ask.status);
    return counts().every((n, i) => n - before[i] > uncounted);
  });
}

const rule = (name: string, echoPort: number) => routeRule(name, testBackend("echo", [echoPort]));
const host = prefixHost;
const config = (port: number, hosts: VirtualHostConfig[], rules: RuleConfig[]) =>
  oneListenerConfig(port, hosts, rules, "web");

Deno.test("route changes cross to both workers as deltas, each serves them, and a restarted worker gets everything", async () => {
  await using echo = startEchoBackend();
  const [port] = freePorts(1);
  const dir = await Deno.makeTempDir({ prefix: "serval-delta-" });
  Deno.env.set("SERVAL_TEST_CRASH_DIR", dir);
  const lines: Record<string, unknown>[] = [];
  const pool = createWorkerPool({
    workers: 2,
    hostname: "127.0.0.1",
    flushMs: 20,
    logger: createLogger({ level: "debug", write: (line) => lines.push(JSON.parse(line)) }),
    workerUrl: new URL("./_crashing_worker.ts", import.meta.url),
  });
  const sent = { count: 0 };
  const ask = (h: string, path: string, status: number) =>
    everyWorkerAnswers(pool, sent, { port, host: h, path, status });
  try {
    const a = rule("a", echo.port);
    const b = rule("b", echo.port);
    const hostA = host("a.test", a);
    await pool.reconcile({ config: config(port, [hostA], [a]) });
    await ask("a.test", "/", 200);
    await ask("b.test", "/", 404);

    const hostB = host("b.test", b);
    await pool.reconcile({ config: config(port, [hostA, hostB], [a, b]) });
    await ask("b.test", "/", 200);

    await pool.reconcile({ config: config(port, [host("b.test", b, "/only")], [b]) });
    await ask("a.test", "/", 404);
    await ask("b.test", "/", 404);
    await ask("b.test", "/only/x", 200);

    const swaps = () =>
      lines.filter((l) => l.msg === "data-plane worker swapped its table")
        .map((l) => [l.worker, l.version, l.full]);
    assertEquals(
      swaps().sort(),
      [[0, 1, true], [0, 2, false], [0, 3, false], [1, 1, true], [1, 2, false], [1, 3, false]],
    );
    assert(
      lines.every((l) =>
        l.msg !== "data-plane worker swapped its table" || typeof l.swapMs === "number"
      ),
    );

    // Worker 1 crashes once it has version 4; started again, it gets version 4 whole.
    await Deno.writeTextFile(`${dir}/crash-1`, "");
    const c = rule("c", echo.port);
    await pool.reconcile({
      config: config(port, [host("b.test", b, "/only"), host("c.test", c)], [b, c]),
    });
    await waitFor("worker 1 restarted", () => pool.workerStats()[1].restarts === 1 && pool.ready());
    await waitFor(
      "the whole config in worker 1",
      () =>
        swaps().some(([worker, version, full]) => worker === 1 && version === 4 && full === true),
    );
    await ask("c.test", "/", 200);
    await ask("b.test", "/only", 200);
    assertEquals(pool.states(), [{ port, protocol: "HTTP", bound: true }]);
  } finally {
    await pool.shutdown({ graceMs: 1000 });
    Deno.env.delete("SERVAL_TEST_CRASH_DIR");
    await Deno.remove(dir, { recursive: true });
  }
});
