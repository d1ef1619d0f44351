/**
 * Client timeouts of HTTP/2 connections on a port that serves them with our
 * server: the header timeout covers the preface and the first stream, the
 * idle timeout the wait between streams; both close with a GOAWAY. The
 * watcher runs on a manual clock and is swept by the test.
 */
import { assertEquals } from "@std/assert";
import { createConnectionWatcher } from "../../../src/dataplane/client_timeouts.ts";
import { serveConnections } from "../../../src/dataplane/connection_server.ts";
import { ErrorCode, FrameType } from "../../../src/dataplane/h2/h2_frames.ts";
import { grpcConnectionOverride } from "../../../src/dataplane/grpc_port.ts";
import { silentLogger } from "../../../src/log/logger.ts";
import { FakeClock } from "../../_helpers/fake_clock.ts";
import { errorCodeOf, RawH2Client, requestFields } from "../../_helpers/h2_raw_client.ts";

const TIMEOUTS = { headerMs: 10_000, idleMs: 60_000, bodyMs: 0, streamMs: 0 };

function startPort() {
  const clock = new FakeClock();
  const watcher = createConnectionWatcher({ timeouts: TIMEOUTS, clock, tickMs: 0 });
  const server = serveConnections({
    listener: Deno.listen({ hostname: "127.0.0.1", port: 0 }),
    handler: () => new Response("ok"),
    onError: () => new Response("Internal error\n", { status: 500 }),
    logger: silentLogger,
    watcher,
    override: grpcConnectionOverride(() => "only"),
  });
  return { clock, watcher, server, port: server.addr.port };
}

/** Sweeps until the watcher has seen `count` connections (accepting is asynchronous). */
async function watched(watcher: { size(): number }, count: number): Promise<void> {
  while (watcher.size() < count) await new Promise((resolve) => setTimeout(resolve, 0));
}

Deno.test("h2 timeouts: a connection that never sends the preface is closed at the header timeout", async () => {
  const { clock, watcher, server, port } = startPort();
  const client = await RawH2Client.connect(port, false);
  await watched(watcher, 1);
  assertEquals(watcher.sweep(clock.now() + TIMEOUTS.headerMs - 1), 0);
  assertEquals(watcher.sweep(clock.now() + TIMEOUTS.headerMs), 1);
  assertEquals(await client.rest(), []);
  client.close();
  await server.shutdown();
});

Deno.test("h2 timeouts: preface and SETTINGS but no stream: GOAWAY at the header timeout", async () => {
  const { clock, watcher, server, port } = startPort();
  const client = await RawH2Client.connect(port);
  await client.until((f) => f.type === FrameType.SETTINGS);
  await watched(watcher, 1);
  assertEquals(watcher.sweep(clock.now() + TIMEOUTS.headerMs), 1);
  const goaway = await client.goaway();
  assertEquals(goaway && errorCodeOf(goaway), ErrorCode.NO_ERROR);
  client.close();
  await server.shutdown();
});

Deno.test("h2 timeouts: an idle connection gets GOAWAY at the idle timeout, not before", async () => {
  const { clock, watcher, server, port } = startPort();
  const client = await RawH2Client.connect(port);
  await client.send(client.headers(1, requestFields()));
  assertEquals(await (await client.response(1)).text(), "ok");
  await watched(watcher, 1);
  assertEquals(watcher.sweep(clock.now() + TIMEOUTS.idleMs - 1), 0);
  await client.send(client.headers(3, requestFields()));
  assertEquals((await client.response(3)).status, 200, "still served");
  assertEquals(watcher.sweep(clock.now() + TIMEOUTS.idleMs), 1);
  const goaway = await client.goaway();
  assertEquals(goaway && errorCodeOf(goaway), ErrorCode.NO_ERROR);
  client.close();
  await server.shutdown();
});
