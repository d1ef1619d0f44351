/**
 * The status writer against the fake API server: what it writes (times and
 * generations of conditions, other controllers' route entries kept, keys no
 * longer wanted removed) and when it writes again (not for an unchanged
 * status; over the fresh object after a conflict; when someone else
 * overwrites ours; for an object that comes while a drain runs).
 */
import { assertEquals } from "@std/assert";
import { silentLogger } from "../../src/log/logger.ts";
import { createStore } from "../../src/source/store.ts";
import { createStatusWriter } from "../../src/status/status_writer.ts";
import type { FakeKube } from "../fake_kube/fake_kube_server.ts";
import {
  clientFor,
  CONTROLLER,
  gateway,
  httpRoute,
  OTHER_PARENT,
  waitFor,
} from "../fake_kube/fake_kube_fixtures.ts";
import { GW } from "./_status_env.ts";
import { classStatus, result, routeStatus, writerEnv } from "./_status_results.ts";

const classConditions = (kube: FakeKube) =>
  (kube.get(GW, "GatewayClass", undefined, "serval")?.status as {
    conditions: Record<string, unknown>[];
  })
    ?.conditions;

Deno.test("a GatewayClass gets its conditions with lastTransitionTime and observedGeneration", async () => {
  await using env = await writerEnv();
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
  await using env = await writerEnv();
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
  await using env = await writerEnv();
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
  await using env = await writerEnv();
  env.writer.update(result([classStatus("True", "first")]));
  await env.writer.idle();
  await env.caughtUp(["GatewayClass", "serval"]);
  env.advance(60_000);
  env.writer.update(result([classStatus("True", "second")]));
  await env.writer.idle();
  assertEquals(classConditions(env.kube)[0].message, "second");
  assertEquals(classConditions(env.kube)[0].lastTransitionTime, "2026-01-01T00:00:00.000Z");
  await env.caughtUp(["GatewayClass", "serval"]);
  env.advance(60_000);
  env.writer.update(result([classStatus("False", "third")]));
  await env.writer.idle();
  assertEquals(classConditions(env.kube)[0].status, "False");
  assertEquals(classConditions(env.kube)[0].lastTransitionTime, "2026-01-01T00:02:00.000Z");
});

Deno.test("an HTTPRoute's parents entries of other controllers are kept", async () => {
  await using env = await writerEnv();
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
  await using env = await writerEnv();
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
  await using env = await writerEnv();
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

Deno.test("an object created while a drain is under way gets its status without another result", async () => {
  await using env = await writerEnv();
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
  await using env = await writerEnv();
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
