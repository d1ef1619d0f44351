/**
 * A backend for benchmarks that must not share the benchmark's event loop:
 * `bench/_ok_server.ts` in its own process, answering every request 200 `ok`.
 * @module
 */
import { freePort, spawn } from "./_processes.ts";

/** A running backend process. */
export interface OkBackend {
  port: number;
  /** Its process id (to read its scheduling counters). */
  pid: number;
  close(): Promise<void>;
}

/** Spawns the backend on a free loopback port and waits until it accepts connections. */
export async function startOkBackend(timeoutMs = 20_000): Promise<OkBackend> {
  const port = freePort();
  const script = new URL("./_ok_server.ts", import.meta.url).pathname;
  const child = spawn("ok backend", Deno.execPath(), [
    "run",
    "--allow-net=127.0.0.1",
    script,
    `127.0.0.1:${port}`,
  ]);
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return { port, pid: child.process.pid, close: () => child.stop() };
    } catch (error) {
      if (performance.now() > deadline) {
        await child.stop();
        throw new Error(`Cannot reach the backend process on port ${port}: ${error}`);
      }
      // Polling a port a child process is about to bind: nothing to wait on but time.
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}
