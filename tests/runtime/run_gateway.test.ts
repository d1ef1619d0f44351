import { assertEquals, assertStringIncludes } from "@std/assert";
import { createLogger } from "../../src/log/logger.ts";
import { createDefaultParts } from "../../src/gateway.ts";
import type { GatewayOptions } from "../../src/runtime/gateway_options.ts";
import { runGateway } from "../../src/runtime/run_gateway.ts";
import type { Source } from "../../src/source/source.ts";
import { waitFor } from "../_helpers/wait_for.ts";

const OPTIONS: GatewayOptions = {
  source: "kube",
  controllerName: "gateway.serval.dev/controller",
  listenHost: "127.0.0.1",
  adminAddr: { hostname: "127.0.0.1", port: 0 },
  telemetryAddr: null,
  logLevel: "debug",
  logFormat: "json",
  upstreamTimeoutMs: 1_000,
  drainDelayMs: 0,
  shutdownTimeoutMs: 1_000,
  leaderElect: false,
  gatewayAddresses: [],
};

Deno.test("a source that never syncs: /readyz says why, and SIGTERM-like shutdown still exits 0", async () => {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ level: "debug", write: (l) => lines.push(JSON.parse(l)) });
  let stopped = false;
  const parts = createDefaultParts();
  // A kube source whose API server never answers: no kubeconfig is read.
  let clientClosed = false;
  parts.connectKube = () =>
    Promise.resolve({
      client: {
        server: "https://127.0.0.1:1",
        request: () => Promise.reject(new Error("unreachable")),
        json: () => Promise.reject(new Error("unreachable")),
        close: () => {
          clientClosed = true;
        },
      },
    });
  parts.createSource = (_resolved, { store }) =>
    Promise.resolve<Source>({
      kind: "kube",
      store,
      start: () => new Promise<void>(() => {}), // an API server that never answers
      reload: () => Promise.resolve({ ok: false, problems: [], message: "unreachable" }),
      syncState: () => ({ Gateway: { synced: false, objects: 0, lastError: "connect refused" } }),
      problems: () => [],
      stop: () => {
        stopped = true;
        return Promise.resolve();
      },
    });
  parts.createStatusWriter = undefined;
  const shutdown = new AbortController();
  const running = runGateway(OPTIONS, parts, { logger, shutdown: shutdown.signal, signals: false });

  let address: string | undefined;
  await waitFor("the admin listener", () => {
    address = lines.find((l) => l.msg === "admin listening")?.address as string | undefined;
    return address !== undefined;
  });
  const ready = await fetch(`http://${address}/readyz`);
  assertEquals(ready.status, 503);
  assertStringIncludes(await ready.text(), "Waiting for the source's first sync: Gateway");
  const reload = await fetch(`http://${address}/reload`, { method: "POST" });
  assertEquals(reload.status, 422);
  assertStringIncludes(await reload.text(), "Cannot reload before the source's first sync");

  shutdown.abort();
  assertEquals(await running, 0);
  assertEquals(stopped, true);
  assertEquals(clientClosed, true, "the one Kubernetes client is closed at shutdown");
  assertEquals(lines.at(-1)?.msg, "stopped");
});

Deno.test("the source starts listing before the serving parts are made, and a sync meanwhile reaches the metrics", async () => {
  const logger = createLogger({ level: "error", write: () => {} });
  const order: string[] = [];
  const parts = createDefaultParts();
  parts.connectKube = () =>
    Promise.resolve({
      client: {
        server: "https://127.0.0.1:1",
        request: () => Promise.reject(new Error("unreachable")),
        json: () => Promise.reject(new Error("unreachable")),
        close: () => {},
      },
    });
  parts.createSource = (_resolved, { store, metrics }) =>
    Promise.resolve<Source>({
      kind: "kube",
      store,
      start: () => {
        order.push("source started");
        // Synced before the metrics exist: the relay keeps it for them.
        metrics.sourceSynced("Gateway", true);
        return new Promise<void>(() => {});
      },
      reload: () => Promise.resolve({ ok: false, problems: [], message: "unreachable" }),
      syncState: () => ({ Gateway: { synced: false, objects: 0 } }),
      problems: () => [],
      stop: () => Promise.resolve(),
    });
  parts.createStatusWriter = undefined;
  const made = createDefaultParts();
  let synced: boolean | undefined;
  parts.createPipeline = (ctx) => {
    order.push("pipeline");
    return made.createPipeline(ctx);
  };
  parts.createMetrics = async (ctx) => {
    order.push("metrics");
    const metrics = await made.createMetrics(ctx);
    return { ...metrics, sourceSynced: (_kind, value) => synced = value };
  };
  const shutdown = new AbortController();
  const running = runGateway(OPTIONS, parts, { logger, shutdown: shutdown.signal, signals: false });
  await waitFor("the metrics", () => synced !== undefined);
  assertEquals(order, ["source started", "pipeline", "metrics"]);
  assertEquals(synced, true);
  shutdown.abort();
  assertEquals(await running, 0);
});

Deno.test("after a load the idle collection arms a trim of glibc's heaps", async () => {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ level: "debug", write: (l) => lines.push(JSON.parse(l)) });
  const dir = await Deno.makeTempDir({ prefix: "serval-idle-trim-" });
  const shutdown = new AbortController();
  const running = runGateway(
    { ...OPTIONS, source: "files", manifests: dir },
    createDefaultParts(),
    {
      logger,
      shutdown: shutdown.signal,
      signals: false,
      // Sampled often, and a few MiB of garbage is a load: the test's own heap is the gateway's.
      idleCollector: { intervalMs: 50, growthBytes: 4 * 1024 * 1024 },
    },
  );
  try {
    const at = (msg: string, after = -1) => lines.findIndex((l, i) => i > after && l.msg === msg);
    // The collector starts a second after the first table; what it finds then is its floor.
    await waitFor("the idle collector", () => at("idle collector started") !== -1);
    // A load's garbage: objects held long enough to reach the old generation, then let go.
    let held: { i: number; text: string }[] | undefined = [];
    for (let i = 0; i < 300_000; i++) held.push({ i, text: `request ${i}` });
    assertEquals(held.length, 300_000);
    held = undefined;
    await waitFor("the idle collection", () => at("collected garbage after load") !== -1);
    const collected = at("collected garbage after load");
    await waitFor("a trim after it", () => at("handed glibc's free memory back", collected) !== -1);
  } finally {
    shutdown.abort();
    assertEquals(await running, 0);
    await Deno.remove(dir, { recursive: true });
  }
});
