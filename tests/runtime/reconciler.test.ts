import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { createLogger } from "../../src/log/logger.ts";
import type { Gateway } from "../../src/resources/gateway_types.ts";
import type { RouteTable } from "../../src/router/router.ts";
import { createReconciler, type ReconcilerDeps } from "../../src/runtime/reconciler.ts";
import { createRuntimeGatewayState } from "../../src/runtime/runtime_gateway_state.ts";
import { createStore } from "../../src/source/store.ts";
import type { GatewayConfig, Problem, TranslateResult } from "../../src/model/config.ts";
import type { Snapshot } from "../../src/model/snapshot.ts";
import { FakeClock, flushTasks } from "../_helpers/fake_clock.ts";
import { waitFor } from "../_helpers/wait_for.ts";
import { ruleMapOf } from "../../src/model/rule_map.ts";

function gateway(name: string, port: number): Gateway {
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "Gateway",
    metadata: { name, namespace: "default" },
    spec: { gatewayClassName: "serval", listeners: [{ name: "http", port, protocol: "HTTP" }] },
  } as Gateway;
}

/** A translate stand-in for the reconciler's own tests: one port per Gateway listener. */
function portsTranslate(snapshot: Snapshot): TranslateResult {
  const ports = snapshot.gateways.flatMap((g) =>
    g.spec.listeners.map((l) => ({ port: l.port, protocol: "HTTP" as const, listeners: [] }))
  );
  return { config: { ports, rules: ruleMapOf() }, certificates: [], statuses: [], problems: [] };
}

function tableOf(config: GatewayConfig): RouteTable {
  return { config, listenerFor: () => undefined, match: () => undefined };
}

function setup(overrides: Partial<ReconcilerDeps> = {}) {
  const store = createStore({ holdoffMs: 5, maxDelayMs: 20 });
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ level: "debug", write: (l) => lines.push(JSON.parse(l)) });
  const reloads: boolean[] = [];
  const sunk: TranslateResult[] = [];
  const applied: number[][] = [];
  const source = { store, problems: () => [] as Problem[] };
  const reconciler = createReconciler({
    source,
    translate: portsTranslate,
    compile: tableOf,
    translateOptions: () => ({ controllerName: "gateway.serval.dev/controller" }),
    applyListeners: (result) => {
      applied.push(result.config.ports.map((p) => p.port));
      return Promise.resolve(
        result.config.ports.map((p) => ({
          port: p.port,
          protocol: p.protocol,
          bound: p.port !== 1,
        })),
      );
    },
    observer: { rebuilt: (attempt) => reloads.push(attempt.ok) },
    statusSink: (r) => sunk.push(r),
    logger,
    ...overrides,
  });
  return { store, reconciler, lines, reloads, sunk, applied };
}

/**
 * Ends the store's holdoff at once (its listeners run now) and lets what they
 * started run: a rebuild they trigger has begun by the time this resolves.
 */
async function changeNow(store: { flush(): void }): Promise<void> {
  store.flush();
  await flushTasks();
}

Deno.test("no rebuild happens before the source's first sync", async () => {
  const { store, reconciler, applied } = setup();
  store.upsert(gateway("a", 8080));
  await changeNow(store);
  assertEquals(reconciler.table(), undefined);
  assertEquals(applied, []);
  const outcome = await reconciler.rebuild("manual");
  assertEquals(outcome.ok, false);
  assertStringIncludes(outcome.message, "before the source's first sync");
  store.close();
});

Deno.test("start builds once, then every store change rebuilds after the holdoff", async () => {
  const { store, reconciler, applied, sunk, reloads } = setup();
  store.upsert(gateway("a", 8080));
  const first = await reconciler.start();
  assertEquals(first.ok, true);
  assertEquals(first.generation, 1);
  assertEquals(reconciler.table()?.config.ports.map((p) => p.port), [8080]);
  store.upsert(gateway("b", 8081));
  await changeNow(store);
  await waitFor("the rebuild after the change", () => reconciler.lastRebuild()?.generation === 2);
  assertEquals(applied, [[8080], [8080, 8081]]);
  assertEquals(sunk.length, 2);
  assertEquals(reloads, [true, true]);
  reconciler.stop();
  store.upsert(gateway("c", 8082));
  await changeNow(store);
  assertEquals(reconciler.lastRebuild()?.generation, 2, "stopped: no more rebuilds");
  assertEquals(applied.length, 2);
  store.close();
});

Deno.test("a rebuild that throws keeps the last table, logs at error and counts a failed reload", async () => {
  let broken = false;
  const { store, reconciler, lines, reloads } = setup({
    translate: (snapshot) => {
      if (broken) throw new Error("boom");
      return portsTranslate(snapshot);
    },
  });
  store.upsert(gateway("a", 8080));
  await reconciler.start();
  const good = reconciler.table();
  broken = true;
  const outcome = await reconciler.rebuild("test");
  assertEquals(outcome.ok, false);
  assertStringIncludes(outcome.message, "boom");
  assert(reconciler.table() === good, "the last good table is still served");
  assertEquals(reloads, [true, false]);
  assert(lines.some((l) => l.level === "error" && String(l.msg).includes("rebuild failed")));
  store.close();
});

Deno.test("rebuilds never overlap; changes during one coalesce into one more", async () => {
  let active = 0;
  let maxActive = 0;
  let calls = 0;
  // Closed while the burst is issued, so the rebuild it starts is still in progress.
  let gate = Promise.resolve();
  let open = () => {};
  const { store, reconciler } = setup({
    applyListeners: async (result) => {
      active += 1;
      calls += 1;
      maxActive = Math.max(maxActive, active);
      await gate;
      active -= 1;
      return result.config.ports.map((p) => ({ port: p.port, protocol: p.protocol, bound: true }));
    },
  });
  await reconciler.start();
  gate = new Promise((resolve) => open = resolve);
  const burst = Promise.all([1, 2, 3, 4, 5].map((i) => reconciler.rebuild(`burst ${i}`)));
  await waitFor("the first rebuild of the burst applying", () => active === 1);
  open();
  const all = await burst;
  assertEquals(maxActive, 1);
  assertEquals(calls, 3, "start, the one in progress, one coalesced");
  assertEquals(all.at(-1)?.generation, 3);
  store.close();
});

Deno.test("readiness needs the first sync, a served table and every port bound", async () => {
  const { store, reconciler } = setup();
  let synced = false;
  let draining = false;
  const { state } = createRuntimeGatewayState({
    source: {
      kind: "files",
      syncState: () => ({ Gateway: { synced, objects: 1 } }),
      problems: () => [],
      reload: () => Promise.resolve({ ok: true, problems: [], message: "read" }),
    },
    reconciler,
    synced: () => synced,
    draining: () => draining,
  });
  assertEquals(state.readiness().ready, false);
  assertStringIncludes(state.readiness().reasons.join("\n"), "first sync: Gateway");
  store.upsert(gateway("a", 8080));
  synced = true;
  await reconciler.start();
  assertEquals(state.readiness(), { ready: true, reasons: [] });
  store.upsert(gateway("b", 1));
  await reconciler.rebuild("port 1");
  assertEquals(state.readiness().ready, false);
  assertStringIncludes(state.readiness().reasons.join("\n"), "Cannot bind HTTP port 1");
  store.delete("Gateway", "default", "b");
  await reconciler.rebuild("port 1 gone");
  assertEquals(state.readiness().ready, true);
  draining = true;
  assertEquals(state.readiness().reasons, ["Shutting down: draining connections"]);
  store.close();
});

Deno.test("readiness waits for the first rebuild's ports, not only for its table", async () => {
  let release = () => {};
  const binding = new Promise<void>((resolve) => release = resolve);
  const { store, reconciler } = setup({
    applyListeners: async (result) => {
      await binding;
      return result.config.ports.map((p) => ({ port: p.port, protocol: p.protocol, bound: true }));
    },
  });
  const { state } = createRuntimeGatewayState({
    source: {
      kind: "files",
      syncState: () => ({ Gateway: { synced: true, objects: 1 } }),
      problems: () => [],
      reload: () => Promise.resolve({ ok: true, problems: [], message: "read" }),
    },
    reconciler,
    synced: () => true,
    draining: () => false,
  });
  store.upsert(gateway("a", 8080));
  const started = reconciler.start();
  // The table is swapped in before the ports are bound (workers bind slowly).
  for (let i = 0; i < 1000 && reconciler.table() === undefined; i++) await Promise.resolve();
  assert(reconciler.table() !== undefined, "the table is swapped in while the ports bind");
  assertEquals(state.readiness(), { ready: false, reasons: ["No configuration served yet"] });
  release();
  await started;
  assertEquals(state.readiness(), { ready: true, reasons: [] });
  store.close();
});

Deno.test("a change in the source's problems alone (a store touch) triggers a rebuild", async () => {
  let problems: Problem[] = [];
  const source = { store: createStore({ holdoffMs: 5 }), problems: () => problems };
  const { store, reconciler, reloads } = setup({ source });
  await reconciler.start();
  await changeNow(source.store);
  assertEquals(reloads, [true], "no rebuild while the problems stay the same");
  problems = [{ object: "file:/m/route.yaml", message: "Cannot parse YAML" }];
  source.store.touch();
  await changeNow(source.store);
  await waitFor("the rebuild after the touch", () => reloads.length === 2);
  assertEquals(reloads, [true, true]);
  assertStringIncludes(reconciler.lastRebuild()?.message ?? "", "1 problem(s)");
  reconciler.stop();
  store.close();
  source.store.close();
});

Deno.test("POST /reload is one rebuild: the holdoff signal that follows it is not a second", async () => {
  const clock = new FakeClock();
  const store = createStore({ holdoffMs: 100, maxDelayMs: 500, clock });
  let translations = 0;
  const { reconciler } = setup({
    source: { store, problems: () => [] },
    translate: (snapshot) => {
      translations += 1;
      return portsTranslate(snapshot);
    },
  });
  const { control } = createRuntimeGatewayState({
    source: {
      kind: "files",
      syncState: () => ({ Gateway: { synced: true, objects: 1 } }),
      problems: () => [],
      reload: () => {
        store.upsert(gateway("b", 8081));
        return Promise.resolve({ ok: true, problems: [], message: "read" });
      },
    },
    reconciler,
    synced: () => true,
    draining: () => false,
  });
  store.upsert(gateway("a", 8080));
  await reconciler.start();
  await clock.advance(1_000);
  assertEquals(translations, 1, "the initial sync's holdoff is covered by the first rebuild");
  const outcome = await control.reload();
  assert(outcome.ok, outcome.message);
  assertEquals(translations, 2);
  assertEquals(clock.pending(), 1, "the reload armed the store's holdoff");
  await clock.advance(1_000);
  assertEquals(translations, 2, "the holdoff found nothing new to build");
  store.upsert(gateway("c", 8082));
  await clock.advance(1_000);
  assertEquals(translations, 3, "a later change still rebuilds");
  reconciler.stop();
  store.close();
});

Deno.test("the served line tells how long the holdoff held the change, and when the table was swapped", async () => {
  const clock = new FakeClock();
  const store = createStore({ holdoffMs: 100, maxDelayMs: 500, clock });
  const { reconciler, lines } = setup({ source: { store, problems: () => [] } });
  await reconciler.start();
  const initial = lines.find((l) => l.msg === "configuration served")!;
  assertEquals(initial.changedAt, undefined, "the initial sync came through no change signal");
  assertEquals(typeof initial.swappedAt, "number");
  store.upsert(gateway("a", 8080));
  await clock.advance(0);
  store.upsert(gateway("b", 8081));
  await clock.advance(30);
  store.upsert(gateway("c", 8082));
  await clock.advance(100);
  const servedLines = () => lines.filter((l) => l.msg === "configuration served");
  await waitFor("the rebuild of the burst", () => servedLines().length >= 3);
  const held = servedLines().at(-1)!;
  assertEquals(held.holdoffMs, 100, "b waited out the window after a's signal");
  const served = held.swappedAt as number;
  assert(served >= (held.changedAt as number), "swapped after the change reached the store");
  reconciler.stop();
  store.close();
});

Deno.test("a served state is plain data: its message is written, not a getter over its generation's result", async () => {
  const { store, reconciler } = setup();
  store.upsert(gateway("a", 8080));
  // The first state is the one a caller of start() keeps for the process's life.
  const first = await reconciler.start();
  for (const [key, descriptor] of Object.entries(Object.getOwnPropertyDescriptors(first))) {
    assertEquals(descriptor.get, undefined, `${key} is read through a getter`);
    assert(typeof descriptor.value !== "object" && typeof descriptor.value !== "function", key);
  }
  assertEquals(first.message, "Served generation 1: 1 port(s), 0 rule(s), 0 problem(s)");
  reconciler.stop();
  store.close();
});
