import { assert, assertEquals } from "@std/assert";
import { silentLogger } from "../../src/log/logger.ts";
import { createKubeSource } from "../../src/source/kube.ts";
import { createStore } from "../../src/source/store.ts";
import type { GatewayResource } from "../../src/resources/types.ts";
import type { Leadership } from "../../src/status/leader_election.ts";
import { createStatusWriter, type StatusWriterOptions } from "../../src/status/status_writer.ts";
import type { ObjectStatus, TranslateResult } from "../../src/model/config.ts";
import { type FakeKube, startFakeKube } from "../fake_kube/fake_kube_server.ts";
import { FakeClock } from "../_helpers/fake_clock.ts";
import {
  clientFor,
  CONTROLLER,
  gateway,
  gatewayClass,
  httpRoute,
  OTHER_PARENT,
  waitFor,
} from "../fake_kube/fake_kube_fixtures.ts";
import { ruleMapOf } from "../../src/model/rule_map.ts";
import { withStatusTrail } from "../../src/model/status_changes.ts";

const GW = "gateway.networking.k8s.io/v1";

function result(statuses: ObjectStatus[]): TranslateResult {
  return { config: { ports: [], rules: ruleMapOf() }, certificates: [], statuses, problems: [] };
}

function classStatus(status: "True" | "False", message = "ok"): ObjectStatus {
  return {
    kind: "GatewayClass",
    name: "serval",
    generation: 1,
    status: {
      conditions: [{
        type: "Accepted",
        status,
        reason: status === "True" ? "Accepted" : "InvalidParameters",
        message,
      }],
    },
  };
}

function routeStatus(): ObjectStatus {
  return {
    kind: "HTTPRoute",
    namespace: "default",
    name: "r1",
    generation: 1,
    status: {
      parents: [{
        parentRef: { name: "gw" },
        controllerName: CONTROLLER,
        conditions: [
          { type: "Accepted", status: "True", reason: "Accepted", message: "" },
          { type: "ResolvedRefs", status: "True", reason: "ResolvedRefs", message: "" },
        ],
      }],
    },
  };
}

async function setup(writerOptions: Partial<StatusWriterOptions> = {}) {
  const kube = await startFakeKube();
  kube.apply(gatewayClass());
  kube.apply(gateway());
  kube.apply({ ...httpRoute("r1"), status: { parents: [OTHER_PARENT] } });
  const client = await clientFor(kube);
  const source = createKubeSource({
    client,
    store: createStore(),
    logger: silentLogger,
    timing: { backoff: { baseMs: 10, capMs: 100 } },
  });
  await source.start();
  let clock = Date.parse("2026-01-01T00:00:00Z");
  const writer = createStatusWriter({
    client,
    store: source.store,
    controllerName: CONTROLLER,
    logger: silentLogger,
    now: () => new Date(clock),
    ...writerOptions,
  });
  return {
    kube,
    source,
    writer,
    advance(ms: number) {
      clock += ms;
    },
    patches: () => kube.requests.filter((r) => r.method === "PATCH" && r.status === 200).length,
    async [Symbol.asyncDispose]() {
      await writer.stop();
      await source.stop();
      client.close();
      await kube.close();
    },
  };
}

const classConditions = (kube: FakeKube) =>
  (kube.get(GW, "GatewayClass", undefined, "serval")?.status as {
    conditions: Record<string, unknown>[];
  })
    ?.conditions;

Deno.test("a GatewayClass gets its conditions with lastTransitionTime and observedGeneration", async () => {
  await using env = await setup();
  env.writer.update(result([classStatus("True")]));
  await env.writer.idle();
  assertEquals(classConditions(env.kube), [{
    type: "Accepted",
    status: "True",
    reason: "Accepted",
    message: "ok",
    observedGeneration: 1,
    lastTransitionTime: "2026-01-01T00:00:00.000Z",
  }]);
  assertEquals(env.writer.stats().writes, 1);
});

Deno.test("an unchanged status is not written again, before or after the watch shows our write", async () => {
  await using env = await setup();
  env.writer.update(result([classStatus("True")]));
  await env.writer.idle();
  env.advance(5000);
  env.writer.update(result([classStatus("True")]));
  await env.writer.idle();
  await waitFor(
    "store sees the status",
    () =>
      env.source.store.list("GatewayClass").some((c) =>
        c.kind === "GatewayClass" && c.status?.conditions?.length === 1
      ),
  );
  env.writer.update(result([classStatus("True")]));
  await env.writer.idle();
  assertEquals(env.patches(), 1);
});

Deno.test("what we wrote is forgotten once the watch shows it, and the next write goes over the store's copy", async () => {
  await using env = await setup();
  env.writer.update(result([classStatus("True")]));
  await env.writer.idle();
  await waitFor("the watch shows our write", () => env.writer.stats().remembered === 0);
  env.writer.update(result([classStatus("False")]));
  await env.writer.idle();
  assertEquals(env.patches(), 2);
  assertEquals(env.writer.stats().conflicts, 0);
  assertEquals(classConditions(env.kube)?.[0]?.status, "False");
});

Deno.test("lastTransitionTime stays when only the message changes and moves when the status changes", async () => {
  await using env = await setup();
  env.writer.update(result([classStatus("True", "first")]));
  await env.writer.idle();
  await waitFor(
    "store caught up",
    () =>
      env.source.store.list("GatewayClass")[0]?.metadata.resourceVersion ===
        env.kube.get(GW, "GatewayClass", undefined, "serval")?.metadata.resourceVersion,
  );
  env.advance(60_000);
  env.writer.update(result([classStatus("True", "second")]));
  await env.writer.idle();
  assertEquals(classConditions(env.kube)[0].message, "second");
  assertEquals(classConditions(env.kube)[0].lastTransitionTime, "2026-01-01T00:00:00.000Z");
  await waitFor(
    "store caught up",
    () =>
      env.source.store.list("GatewayClass")[0]?.metadata.resourceVersion ===
        env.kube.get(GW, "GatewayClass", undefined, "serval")?.metadata.resourceVersion,
  );
  env.advance(60_000);
  env.writer.update(result([classStatus("False", "third")]));
  await env.writer.idle();
  assertEquals(classConditions(env.kube)[0].status, "False");
  assertEquals(classConditions(env.kube)[0].lastTransitionTime, "2026-01-01T00:02:00.000Z");
});

Deno.test("an HTTPRoute's parents entries of other controllers are kept", async () => {
  await using env = await setup();
  env.writer.update(result([routeStatus()]));
  await env.writer.idle();
  const parents = (env.kube.get(GW, "HTTPRoute", "default", "r1")?.status as {
    parents: Record<string, unknown>[];
  }).parents;
  assertEquals(parents.length, 2);
  assertEquals(parents[0], OTHER_PARENT);
  assertEquals(parents[1].controllerName, CONTROLLER);
  assertEquals((parents[1].conditions as unknown[]).length, 2);
});

Deno.test("a write that conflicts (409) is recomputed on the fresh object and retried", async () => {
  await using env = await setup();
  // A store that saw the route before another controller wrote its status.
  const stale = createStore();
  const route = env.source.store.list("HTTPRoute")[0];
  stale.upsert(route);
  const client = await clientFor(env.kube);
  const writer = createStatusWriter({
    client,
    store: stale,
    controllerName: CONTROLLER,
    logger: silentLogger,
  });
  const newer = { ...OTHER_PARENT, parentRef: { name: "newer-gw" } };
  env.kube.apply({ ...httpRoute("r1"), status: { parents: [OTHER_PARENT, newer] } });
  writer.update(result([routeStatus()]));
  await writer.idle();
  await writer.stop();
  client.close();
  assertEquals(writer.stats().conflicts, 1);
  assertEquals(writer.stats().writes, 1);
  const parents = (env.kube.get(GW, "HTTPRoute", "default", "r1")?.status as {
    parents: Record<string, unknown>[];
  }).parents;
  assertEquals(parents.map((p) => (p.parentRef as { name: string }).name), [
    "their-gw",
    "newer-gw",
    "gw",
  ]);
});

Deno.test("a Gateway status key no longer wanted is removed", async () => {
  await using env = await setup();
  env.kube.apply({
    ...gateway(),
    status: { addresses: [{ type: "IPAddress", value: "10.9.9.9" }] },
  });
  await waitFor(
    "store sees addresses",
    () => env.source.store.list("Gateway").some((g) => g.kind === "Gateway" && g.status?.addresses),
  );
  env.writer.update(result([{
    kind: "Gateway",
    namespace: "default",
    name: "gw",
    generation: 1,
    status: {
      conditions: [{ type: "Programmed", status: "True", reason: "Programmed", message: "" }],
      listeners: [{
        name: "http",
        supportedKinds: [{ kind: "HTTPRoute" }],
        attachedRoutes: 1,
        conditions: [{ type: "Accepted", status: "True", reason: "Accepted", message: "" }],
      }],
    },
  }]));
  await env.writer.idle();
  const status = env.kube.get(GW, "Gateway", "default", "gw")?.status as Record<string, unknown>;
  assertEquals(Object.keys(status).sort(), ["conditions", "listeners"]);
  const listener = (status.listeners as Record<string, unknown>[])[0];
  assertEquals(
    (listener.conditions as Record<string, unknown>[])[0].lastTransitionTime,
    "2026-01-01T00:00:00.000Z",
  );
});

function manualLeadership(initial: boolean): Leadership & { set(v: boolean): void } {
  let leading = initial;
  const listeners = new Set<(l: boolean) => void>();
  return {
    isLeader: () => leading,
    onChange(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    set(v) {
      leading = v;
      for (const l of listeners) l(v);
    },
  };
}

Deno.test("nothing is written while not leader; everything is written on becoming leader", async () => {
  const leadership = manualLeadership(false);
  await using env = await setup({ leadership });
  env.writer.update(result([classStatus("True"), routeStatus()]));
  await env.writer.idle();
  // Both statuses were taken in and held: no drain runs, and none starts until
  // leadership changes, so no PATCH can come later either.
  assertEquals(env.writer.stats().pending, 2);
  assertEquals(env.patches(), 0);
  leadership.set(true);
  await waitFor("written", () => env.patches() === 2);
  await env.writer.idle();
});

Deno.test("losing leadership stops writes at once", async () => {
  const leadership = manualLeadership(true);
  // One write, then a slow bucket: the rest wait for tokens when leadership goes.
  const clock = new FakeClock();
  await using env = await setup({ leadership, rateLimit: { perSecond: 2, burst: 1 }, clock });
  for (let i = 0; i < 3; i++) env.kube.apply(httpRoute(`extra-${i}`));
  await waitFor("routes seen", () => env.source.store.list("HTTPRoute").length === 4);
  const statuses = [0, 1, 2].map((i) => ({ ...routeStatus(), name: `extra-${i}` }));
  env.writer.update(result(statuses));
  await waitFor("first write", () => env.patches() === 1);
  await clock.whenPending(1); // The writer waits for a token.
  leadership.set(false);
  await env.writer.idle();
  assertEquals(clock.pending(), 0, "the wait for a token ended with leadership");
  // Tokens for every pending write, and more: still nothing is written.
  await clock.advance(60_000);
  assertEquals(env.patches(), 1);
  assert(env.writer.stats().pending >= 2);
});

Deno.test("writes are rate-limited by the token bucket", async () => {
  const clock = new FakeClock();
  await using env = await setup({ rateLimit: { perSecond: 10, burst: 1 }, clock });
  for (let i = 0; i < 4; i++) env.kube.apply(httpRoute(`rl-${i}`));
  await waitFor("routes seen", () => env.source.store.list("HTTPRoute").length === 5);
  const t0 = clock.now();
  env.writer.update(result([0, 1, 2, 3].map((i) => ({ ...routeStatus(), name: `rl-${i}` }))));
  // The burst of one goes at once; each later write waits 100 ms for its token.
  for (let written = 1; written < 4; written++) {
    await waitFor(
      `write ${written} and the wait for the next token`,
      () => env.patches() === written && clock.pending() === 1,
    );
    assertEquals(clock.nextDelay(), 100);
    await clock.advance(99);
    assertEquals(env.patches(), written, "a write went before its token");
    await clock.advance(1);
  }
  await env.writer.idle();
  assertEquals(env.writer.stats().writes, 4);
  assertEquals(clock.now() - t0, 300);
});

Deno.test("the status sink returns at once, even with many objects", () => {
  const store = createStore();
  const objects: GatewayResource[] = [];
  for (let i = 0; i < 1000; i++) {
    const r = httpRoute(`r${i}`) as unknown as GatewayResource;
    objects.push(r);
  }
  store.replaceKind("HTTPRoute", objects);
  const writer = createStatusWriter({
    client: {
      server: "https://127.0.0.1:1",
      request: () => new Promise(() => {}),
      json: () => new Promise(() => {}),
      close() {},
    },
    store,
    controllerName: CONTROLLER,
    logger: silentLogger,
    leadership: manualLeadership(false),
  });
  // The client never answers: update() only queues, synchronously, and returns.
  writer.update(result(objects.map((_, i) => ({ ...routeStatus(), name: `r${i}` }))));
  assertEquals(writer.stats().pending, 1000);
  writer.stop();
  store.close();
});

Deno.test("every outcome is reported: ok, skipped when unchanged or gone, conflict, failed", async () => {
  const outcomes: string[] = [];
  await using env = await setup({
    onWrite: (outcome) => outcomes.push(outcome),
    retryBaseMs: 10,
    maxConflictRetries: 0,
  });
  env.writer.update(result([classStatus("True")]));
  await env.writer.idle();
  assertEquals(outcomes, ["ok"]);

  outcomes.length = 0;
  env.writer.update(result([classStatus("True")]));
  await env.writer.idle();
  assertEquals(outcomes, ["skipped"]);

  // One 409 with no retries allowed: a conflict, then a failure; the retry after the backoff writes.
  outcomes.length = 0;
  env.kube.failNext({ status: 409, method: "PATCH" });
  env.writer.update(result([classStatus("False")]));
  await waitFor("written after the failure", () => outcomes.includes("ok"));
  assertEquals(outcomes, ["conflict", "failed", "ok"]);

  outcomes.length = 0;
  env.kube.failNext({ status: 500, method: "PATCH" });
  env.writer.update(result([classStatus("True")]));
  await waitFor("written after the failure", () => outcomes.includes("ok"));
  assertEquals(outcomes, ["failed", "ok"]);

  outcomes.length = 0;
  env.writer.update(result([{ ...classStatus("True"), name: "not-there" }]));
  await env.writer.idle();
  assertEquals(outcomes, ["skipped"]);
});

Deno.test("a write answered 429 with Retry-After is retried no sooner than that", async () => {
  const clock = new FakeClock();
  await using env = await setup({ retryBaseMs: 10, clock });
  env.kube.failNext({ status: 429, retryAfter: 1, method: "PATCH" });
  env.writer.update(result([classStatus("True")]));
  const patches = () => env.kube.requests.filter((r) => r.method === "PATCH");
  await waitFor(
    "the 429 and the wait before the retry",
    () => patches().length === 1 && clock.pending() === 1,
  );
  // The backoff alone would wait under 10 ms; Retry-After: 1 is the floor.
  assertEquals(clock.nextDelay(), 1000);
  await clock.advance(999);
  assertEquals(patches().length, 1, "retried before Retry-After");
  await clock.advance(1);
  await waitFor("written", () => env.patches() === 1);
  assertEquals(patches().map((r) => r.status), [429, 200]);
});

Deno.test("an object created while a drain is under way gets its status without another result", async () => {
  await using env = await setup();
  const release = env.kube.hold({ method: "PATCH", pathIncludes: "gatewayclasses" });
  env.writer.update(result([classStatus("True")]));
  env.kube.apply(httpRoute("r2"));
  await waitFor(
    "r2 in the store",
    () => env.source.store.list("HTTPRoute").some((o) => o.metadata.name === "r2"),
  );
  // No rebuild follows a status write any more, so this result may be the last.
  env.writer.update(result([classStatus("True"), { ...routeStatus(), name: "r2" }]));
  release();
  await env.writer.idle();
  const parents = (env.kube.get(GW, "HTTPRoute", "default", "r2")?.status as {
    parents?: Record<string, unknown>[];
  } | undefined)?.parents;
  assertEquals(parents?.map((p) => p.controllerName), [CONTROLLER]);
});

Deno.test("a status someone else overwrites is written again without a new result", async () => {
  await using env = await setup();
  env.writer.update(result([routeStatus()]));
  await env.writer.idle();
  const ours = () =>
    ((env.kube.get(GW, "HTTPRoute", "default", "r1")?.status as {
      parents?: Record<string, unknown>[];
    } | undefined)?.parents ?? []).filter((p) => p.controllerName === CONTROLLER).length;
  assertEquals(ours(), 1);
  // Another writer drops our entry: a status-only change, so no rebuild follows it.
  env.kube.apply({ ...httpRoute("r1"), status: { parents: [OTHER_PARENT] } });
  await waitFor("our entry written again", () => ours() === 1);
  // The server applies the write before the writer reads its answer.
  await env.writer.idle();
  assertEquals(env.writer.stats().writes, 2);
});

Deno.test("a result checks only the statuses that are new objects, added or gone", async () => {
  const store = createStore();
  const routes = Array.from({ length: 50 }, (_, i) =>
    ({
      ...httpRoute(`r${i}`),
      metadata: { name: `r${i}`, namespace: "default", resourceVersion: "1" },
    }) as unknown as GatewayResource);
  store.replaceKind("HTTPRoute", routes);
  const patched: string[] = [];
  const writer = createStatusWriter({
    client: {
      server: "https://127.0.0.1:1",
      request: () => new Promise(() => {}),
      json: <T>(_method: string, path: string) => {
        patched.push(path.split("/").at(-2)!);
        return Promise.resolve({ metadata: { resourceVersion: "2" } } as T);
      },
      close() {},
    },
    store,
    controllerName: CONTROLLER,
    logger: silentLogger,
    rateLimit: { perSecond: 1_000_000, burst: 1_000_000 },
  });
  const statuses = routes.map((_, i) => ({ ...routeStatus(), name: `r${i}` }));
  writer.update(result(statuses));
  await writer.idle();
  assertEquals(patched.length, 50);
  patched.length = 0;
  // r7 recomputed (a new object), r30 gone, the rest handed back as they were.
  const next = statuses.filter((s) => s.name !== "r30");
  next[7] = { ...routeStatus(), name: "r7", generation: 2 };
  writer.update(result(next));
  await writer.idle();
  assertEquals(patched, ["r7"]);
  assertEquals(writer.stats().pending, 0);
  // r30 is back and r7 as it was: both are checked again.
  patched.length = 0;
  writer.update(result(statuses));
  await writer.idle();
  assertEquals(patched.sort(), ["r30", "r7"]);
  await writer.stop();
  store.close();
});

Deno.test("a result that says which statuses changed since the last one is read for those alone", async () => {
  const store = createStore();
  const routes = Array.from({ length: 20 }, (_, i) =>
    ({
      ...httpRoute(`r${i}`),
      metadata: { name: `r${i}`, namespace: "default", resourceVersion: "1" },
    }) as unknown as GatewayResource);
  store.replaceKind("HTTPRoute", routes);
  const patched: string[] = [];
  const writer = createStatusWriter({
    client: {
      server: "https://127.0.0.1:1",
      request: () => new Promise(() => {}),
      json: <T>(_method: string, path: string) => {
        patched.push(path.split("/").at(-2)!);
        return Promise.resolve({ metadata: { resourceVersion: "2" } } as T);
      },
      close() {},
    },
    store,
    controllerName: CONTROLLER,
    logger: silentLogger,
    rateLimit: { perSecond: 1_000_000, burst: 1_000_000 },
  });
  const statuses = routes.map((_, i) => ({ ...routeStatus(), name: `r${i}` }));
  const first = { version: {} };
  writer.update(withStatusTrail(result(statuses), first));
  await writer.idle();
  assertEquals(patched.length, 20);
  patched.length = 0;
  // r7 recomputed, r12 gone: said by the trail, the list itself never read.
  const r7 = { ...routeStatus(), name: "r7", generation: 2 };
  const unread = {
    ...result([]),
    get statuses(): ObjectStatus[] {
      throw new Error("the whole list was read");
    },
  };
  const second = { version: {} };
  writer.update(withStatusTrail(unread, {
    version: second,
    changes: { since: first.version, added: [r7], removed: [statuses[7], statuses[12]] },
  }));
  await writer.idle();
  assertEquals(patched, ["r7"]);
  // Changes since a result the writer did not see: the whole list is compared.
  patched.length = 0;
  writer.update(withStatusTrail(result(statuses), {
    version: {},
    changes: { since: {}, added: [], removed: [] },
  }));
  await writer.idle();
  assertEquals(patched.sort(), ["r12", "r7"]);
  await writer.stop();
  store.close();
});
