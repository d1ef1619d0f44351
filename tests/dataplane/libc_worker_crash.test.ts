/**
 * Workers on libc's sockets: a worker that crashes takes its sockets with
 * it, as Deno's sockets go with their isolate. libc's belong to the
 * process, so a crashed worker's listener would otherwise stay in the
 * port's `SO_REUSEPORT` group, and the kernel would keep handing it
 * connections nobody accepts.
 */
import { assertEquals } from "@std/assert";
import { DEFAULT_CLIENT_TIMEOUTS } from "../../src/dataplane/client_timeouts.ts";
import { libcNet } from "../../src/dataplane/libc_net.ts";
import { createWorkerPool } from "../../src/dataplane/worker_pool.ts";
import { createLogger } from "../../src/log/logger.ts";
import { startEchoBackend } from "../_helpers/echo_backend.ts";
import { freePorts } from "../_helpers/gateway_process.ts";
import { waitFor } from "../_helpers/wait_for.ts";
import { backend, testConfig } from "./_config.ts";

/** One request on a connection of its own, so the kernel picks a listener each time. */
async function freshGet(port: number, path: string): Promise<number> {
  const client = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
  try {
    // A deadline only a connection left in a dead listener's queue reaches.
    const res = await fetch(`http://127.0.0.1:${port}${path}`, {
      client,
      signal: AbortSignal.timeout(20_000),
    });
    await res.body?.cancel();
    return res.status;
  } finally {
    client.close();
  }
}

Deno.test({
  name:
    "a crashed worker's libc listener leaves the port: every fresh connection after the restart is answered",
  ignore: "problem" in libcNet(),
  fn: async () => {
    await using echo = startEchoBackend();
    const [port] = freePorts(1);
    const dir = await Deno.makeTempDir({ prefix: "serval-libc-crash-" });
    Deno.env.set("SERVAL_TEST_CRASH_DIR", dir);
    const pool = createWorkerPool({
      workers: 2,
      hostname: "127.0.0.1",
      logger: createLogger({ level: "error", write: () => {} }),
      maxRestarts: 1,
      workerUrl: new URL("./_crashing_worker.ts", import.meta.url),
      connections: {
        maxConnections: 0,
        maxConnectionsPerPort: 0,
        timeouts: DEFAULT_CLIENT_TIMEOUTS,
        sockets: "libc",
      },
    });
    try {
      const routes = (path: string) => [{ path, backends: [backend("echo", [echo.port])] }];
      await pool.reconcile({ config: testConfig(port, routes("/old")) });
      await Deno.writeTextFile(`${dir}/crash-1`, "");
      await pool.reconcile({ config: testConfig(port, routes("/new")) });
      await waitFor("the restart", () => pool.workerStats()[1].restarts === 1 && pool.ready());
      const statuses: number[] = [];
      for (let i = 0; i < 30; i++) statuses.push(await freshGet(port, "/new"));
      assertEquals(new Set(statuses), new Set([200]));
    } finally {
      await pool.shutdown({ graceMs: 1000 });
      Deno.env.delete("SERVAL_TEST_CRASH_DIR");
      await Deno.remove(dir, { recursive: true });
    }
  },
});
