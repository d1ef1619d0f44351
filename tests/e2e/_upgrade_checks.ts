/**
 * Checks the upgrade tests through the real process share
 * (`upgrades.test.ts` over ws://, `upgrades_tls.test.ts` over wss://): a
 * tunnel that outlives a reload, one that outlives SIGTERM until the
 * shutdown timeout, waiting for a route's new backend, and reading a raw
 * connection to its end. Every wait is for an event, never for time.
 * @module
 */
import { assertEquals } from "@std/assert";
import type { GatewayProcess } from "../_helpers/gateway_process.ts";
import type { TestSocket } from "../_helpers/upgrade_backends.ts";
import { waitFor } from "../_helpers/wait_for.ts";

const decoder = new TextDecoder();

/** Waits until the gateway's `/config` routes to port 80 of Service `service` in `default`. */
export async function waitForBackend(gw: GatewayProcess, service: string): Promise<void> {
  await waitFor(`a route to ${service} served`, async () => {
    const config = await (await gw.admin("/config")).text();
    return config.includes(`service/default/${service}:80`);
  });
}

/**
 * `socket` echoes before and after `reroute` sends its route to Service
 * `service`: an open tunnel stays with the backend it reached. Then it is closed.
 */
export async function assertTunnelOutlivesReload(
  gw: GatewayProcess,
  socket: TestSocket,
  reroute: () => Promise<void>,
  service: string,
): Promise<void> {
  await socket.opened;
  assertEquals(await socket.echo("before"), "before");
  await reroute();
  await waitForBackend(gw, service);
  assertEquals(await socket.echo("after"), "after");
  socket.ws.close();
  await socket.closed;
}

/**
 * After SIGTERM (the gateway started with `--drain-delay 0s` and a short
 * `--shutdown-timeout`), `socket` still echoes once the listeners stopped,
 * is closed when the shutdown timeout ends, and the gateway exits 0.
 */
export async function assertTunnelOutlivesSigterm(
  gw: GatewayProcess,
  socket: TestSocket,
): Promise<void> {
  await socket.opened;
  gw.kill("SIGTERM");
  await gw.waitForLog((r) => String(r.msg).startsWith("stopping listeners"));
  assertEquals(await socket.echo("still open"), "still open");
  await socket.closed;
  await gw.waitForLog((r) => String(r.msg).startsWith("in-flight requests did not finish"));
  assertEquals((await gw.status).code, 0);
}

/** `already` and what `conn` sends until it closes (or fails), as text. */
export async function readUntilClosed(conn: Deno.Conn, already = ""): Promise<string> {
  let text = already;
  const buf = new Uint8Array(4096);
  for (;;) {
    const n = await conn.read(buf).catch(() => null);
    if (n === null) return text;
    text += decoder.decode(buf.subarray(0, n));
  }
}
