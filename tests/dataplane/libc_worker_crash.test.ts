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
import { createWorkerPool, type WorkerPool } from "../../src/dataplane/worker_pool.ts";
import { createLogger } from "../../src/log/logger.ts";
import { startEchoBackend } from "../_helpers/echo_backend.ts";
import { freePorts } from "../_helpers/gateway_process.ts";
import { openDescriptors } from "../_helpers/proc_fds.ts";
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

/** `workers` data-plane workers on libc's sockets that crash when told to, restarted up to `maxRestarts` times. */
function crashingPool(workers: number, maxRestarts: number): WorkerPool {
  return createWorkerPool({
    workers,
    hostname: "127.0.0.1",
    logger: createLogger({ level: "error", write: () => {} }),
    maxRestarts,
    workerUrl: new URL("./_crashing_worker.ts", import.meta.url),
    connections: {
      maxConnections: 0,
      maxConnectionsPerPort: 0,
      timeouts: DEFAULT_CLIENT_TIMEOUTS,
      sockets: "libc",
    },
  });
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
    const pool = crashingPool(2, 1);
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

/** The process's epoll sets and eventfds, by what /proc says each descriptor is. */
function anonDescriptors(): { eventpoll: number; eventfd: number } {
  const counts = { eventpoll: 0, eventfd: 0 };
  for (const what of openDescriptors().values()) {
    if (what === "anon_inode:[eventpoll]") counts.eventpoll++;
    else if (what === "anon_inode:[eventfd]") counts.eventfd++;
  }
  return counts;
}

Deno.test({
  name:
    "a crashed worker's libc epoll set and eventfd are closed: the process holds as many after the restart as before",
  ignore: "problem" in libcNet() || Deno.build.os !== "linux",
  fn: async () => {
    await using echo = startEchoBackend();
    const [port] = freePorts(1);
    const dir = await Deno.makeTempDir({ prefix: "serval-libc-crash-fds-" });
    Deno.env.set("SERVAL_TEST_CRASH_DIR", dir);
    const pool = crashingPool(1, 3);
    try {
      const routes = (path: string) => [{ path, backends: [backend("echo", [echo.port])] }];
      await pool.reconcile({ config: testConfig(port, routes("/a")) });
      assertEquals(await freshGet(port, "/a"), 200);
      const before = anonDescriptors();
      for (let round = 1; round <= 3; round++) {
        await Deno.writeTextFile(`${dir}/crash-0`, "");
        await pool.reconcile({ config: testConfig(port, routes(`/r${round}`)) });
        await waitFor(
          `restart ${round}`,
          () => pool.workerStats()[0].restarts === round && pool.ready(),
        );
        assertEquals(await freshGet(port, `/r${round}`), 200);
      }
      // The dead isolates' own runtimes close theirs as they are torn down.
      await waitFor(
        "the descriptors of the crashed workers closed",
        () => {
          const now = anonDescriptors();
          return now.eventpoll === before.eventpoll && now.eventfd === before.eventfd;
        },
        { deadlineMs: 20_000 },
      ).catch(() => {});
      assertEquals(anonDescriptors(), before);
    } finally {
      await pool.shutdown({ graceMs: 1000 });
      Deno.env.delete("SERVAL_TEST_CRASH_DIR");
      await Deno.remove(dir, { recursive: true });
    }
  },
});
