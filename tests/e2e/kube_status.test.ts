/**
 * Status written by the real gateway process against the fake API server:
 * the conditions `translate` computes land on GatewayClass, Gateway and
 * HTTPRoute status subresources; nothing is rewritten when nothing changed;
 * other controllers' entries survive; and faults (token rotation, 429/500
 * with Retry-After) delay writes without ever interrupting traffic.
 */
import { assert, assertEquals, assertGreater, assertGreaterOrEqual } from "@std/assert";
import type { RecordedRequest } from "../fake_kube/fake_kube_server.ts";
import { endpointSlice, httpRoute, waitFor } from "../fake_kube/fake_kube_fixtures.ts";
import { conditionSummary, type Obj, sleep, startKubeWorld } from "./kube_world.ts";

const CONTROLLER = "gateway.serval.dev/controller";
const OTHER = {
  parentRef: { name: "their-gw" },
  controllerName: "example.com/other",
  conditions: [{
    type: "Accepted",
    status: "True",
    reason: "Accepted",
    message: "",
    lastTransitionTime: "2020-01-01T00:00:00Z",
    observedGeneration: 1,
  }],
};

const ourParent = (route: Obj | undefined) =>
  ((route?.parents ?? []) as Obj[]).find((p) => p.controllerName === CONTROLLER);

/** Counts of `serval_status_writes_total` by result. */
async function statusWriteMetrics(admin: (path: string) => Promise<Response>) {
  const text = await (await admin("/metrics")).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^serval_status_writes_total\{result="(\w+)"\} (\d+)/gm)) {
    out[m[1]] = Number(m[2]);
  }
  return out;
}

Deno.test("the gateway process writes status once, keeps others' entries, follows changes and survives API faults", async (t) => {
  await using world = await startKubeWorld();
  const { kube } = world;
  // Another controller already reports on this route: its entry must survive our writes.
  kube.apply({
    ...httpRoute("web", { prefix: "/", backend: "svc-a" }),
    status: { parents: [OTHER] },
  });
  const gw = await world.start("solo");
  const logTail = () => gw.logs().slice(-40).join("\n");

  await t.step(
    "GatewayClass, Gateway and HTTPRoute get the conditions translate computes",
    async () => {
      await waitFor("every status written", () => {
        const route = ourParent(world.status("HTTPRoute", "web"));
        const listeners = (world.status("Gateway", "gw")?.listeners ?? []) as Obj[];
        return route && listeners.length === 1 &&
          conditionSummary(world.status("GatewayClass", "serval")).Accepted;
      }).catch((e) => {
        throw new Error(`${e.message}; log:\n${logTail()}`);
      });
      assertEquals(
        conditionSummary(world.status("GatewayClass", "serval")).Accepted,
        "True/Accepted",
      );

      const gateway = world.status("Gateway", "gw")!;
      const gwConditions = conditionSummary(gateway);
      assertEquals(gwConditions.Accepted, "True/Accepted");
      assertEquals(gwConditions.Programmed, "True/Programmed");
      const listener = (gateway.listeners as Obj[])[0];
      assertEquals(listener.name, "http");
      assertEquals(listener.attachedRoutes, 1);
      assertEquals(listener.supportedKinds, [
        { group: "gateway.networking.k8s.io", kind: "HTTPRoute" },
        { group: "gateway.networking.k8s.io", kind: "GRPCRoute" },
      ]);
      const lc = conditionSummary(listener);
      assertEquals([lc.Accepted, lc.Programmed, lc.ResolvedRefs, lc.Conflicted], [
        "True/Accepted",
        "True/Programmed",
        "True/ResolvedRefs",
        "False/NoConflicts",
      ]);

      const route = world.status("HTTPRoute", "web")!;
      const parents = route.parents as Obj[];
      assertEquals(parents.length, 2);
      assertEquals(parents[0], OTHER, "the other controller's entry is kept as it was");
      const ours = ourParent(route)!;
      assertEquals((ours.parentRef as Obj).name, "gw");
      const rc = conditionSummary(ours);
      assertEquals([rc.Accepted, rc.ResolvedRefs], ["True/Accepted", "True/ResolvedRefs"]);

      // Every condition carries the generation it was computed from, and a transition time.
      const all = [
        ...(world.status("GatewayClass", "serval")!.conditions as Obj[]),
        ...(gateway.conditions as Obj[]),
        ...(listener.conditions as Obj[]),
        ...(ours.conditions as Obj[]),
      ];
      for (const c of all) {
        assertEquals(c.observedGeneration, 1, JSON.stringify(c));
        assert(!Number.isNaN(Date.parse(String(c.lastTransitionTime))), JSON.stringify(c));
      }
    },
  );

  await t.step(
    "nothing is rewritten once our writes are read back, nor after an unrelated change",
    async () => {
      // One write per object, and it stays so once the objects, our statuses
      // included, were read back and compared with them again: a reload
      // relists every kind and rebuilds, and the writer skips the GatewayClass
      // and Gateway statuses (built anew by every translate). The route's
      // status is the very object of the last result (nothing about the route
      // changed), so the writer has nothing to compare for it.
      await waitFor("one write per object", () => gw.statusPatches().length >= 3);
      const before = gw.statusPatches().length;
      assertEquals(before, 3, "one write per object");
      let skippedBefore = (await statusWriteMetrics(gw.admin)).skipped ?? 0;
      const reload = await gw.admin("/reload", { method: "POST" });
      assertEquals(reload.status, 200, await reload.text());
      await waitFor(
        "the rebuilt statuses compared again after the reload",
        async () => ((await statusWriteMetrics(gw.admin)).skipped ?? 0) >= skippedBefore + 2,
      );
      assertEquals(gw.statusPatches().length, before, "our own writes read back");

      // An EndpointSlice change rebuilds the table; no status depends on it.
      skippedBefore = (await statusWriteMetrics(gw.admin)).skipped ?? 0;
      kube.apply(endpointSlice("svc-a", ["127.0.0.1"], world.backends.b));
      await waitFor("traffic shifted", async () => (await world.get("/x")).backend === "b");
      // The writer did compare every status again (skipped), and wrote nothing.
      await waitFor(
        "statuses compared after the rebuild",
        async () => ((await statusWriteMetrics(gw.admin)).skipped ?? 0) >= skippedBefore + 3,
      );
      assertEquals(gw.statusPatches().length, before, "unrelated change");
      kube.apply(endpointSlice("svc-a", ["127.0.0.1"], world.backends.a));
    },
  );

  await t.step("a route change updates its status and observedGeneration", async () => {
    kube.apply({
      ...httpRoute("web", { prefix: "/", backend: "svc-missing" }),
    });
    await waitFor("ResolvedRefs False", () => {
      const ours = ourParent(world.status("HTTPRoute", "web"));
      return conditionSummary(ours).ResolvedRefs === "False/BackendNotFound";
    });
    const route = world.status("HTTPRoute", "web")!;
    assertEquals((route.parents as Obj[])[0], OTHER);
    for (const c of ourParent(route)!.conditions as Obj[]) assertEquals(c.observedGeneration, 2);
    // The route's rule answers 500 now: a missing backend, not a missing route.
    assertEquals((await world.get("/y")).status, 500);
  });

  await t.step(
    "a rotated token is picked up: status still written, traffic still served",
    async () => {
      const oldToken = gw.token;
      await gw.rotateToken("solo-token-2");
      kube.apply(httpRoute("web", { prefix: "/", backend: "svc-a" }));
      await waitFor("ResolvedRefs True again", () => {
        const ours = ourParent(world.status("HTTPRoute", "web"));
        return conditionSummary(ours).ResolvedRefs === "True/ResolvedRefs";
      }).catch((e) => {
        throw new Error(`${e.message}; log:\n${logTail()}`);
      });
      assertEquals((await world.get("/z")).backend, "a");
      assert(
        gw.requests().some((r) => r.token === oldToken && r.status === 401),
        "the old token was refused at least once",
      );
      assert(gw.statusPatches().some((r) => r.token === "solo-token-2"));
    },
  );

  await t.step(
    "429 and 500 with Retry-After delay writes and watches; traffic never stops",
    async () => {
      const patchesBefore = gw.statusPatches().length;
      kube.failNext({ status: 429, retryAfter: 1, method: "PATCH", count: 1 });
      kube.failNext({ status: 500, retryAfter: 1, method: "PATCH", count: 1 });
      // The HTTPRoute watch is cut and its next reconnect answered 500 with Retry-After.
      kube.failNext({ status: 500, retryAfter: 1, pathIncludes: "/httproutes", watch: true });
      kube.watches.cut("close", "httproutes");
      const t0 = performance.now();
      kube.apply(httpRoute("web", { prefix: "/", backend: "svc-b" }));
      const statuses = new Map<number, number>();
      let served = "";
      while (performance.now() - t0 < 60_000) {
        const res = await world.get("/during");
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        served = res.backend;
        const written = gw.statusPatches().length > patchesBefore;
        if (served === "b" && written) break;
        await sleep(50);
      }
      assertEquals([...statuses.keys()], [200], "every request during the faults was served");
      assertEquals(served, "b", "the change made during the faults arrived");
      const failed = gw.requests().filter((r) => r.status === 429 || r.status === 500);
      assertEquals(failed.length, 3, JSON.stringify(failed));
      // Retry-After is a floor for the next attempt of the same kind of request.
      const isWatch = (r: RecordedRequest) => r.query.watch === "true";
      for (const failure of failed) {
        const retry = gw.requests().find((r) =>
          r.at > failure.at && r.method === failure.method && isWatch(r) === isWatch(failure)
        );
        assert(retry, `no retry after ${failure.method} ${failure.path}`);
        assertGreaterOrEqual(retry.at - failure.at, 990, `${failure.method} ${failure.path}`);
      }
      const metrics = await statusWriteMetrics(gw.admin);
      assertGreater(metrics.failed, 0);
      assertGreater(metrics.ok, patchesBefore - 1);
    },
  );

  await t.step("metrics show per-kind sync and watch restarts", async () => {
    const text = await (await gw.admin("/metrics")).text();
    for (const kind of ["GatewayClass", "Gateway", "HTTPRoute", "EndpointSlice", "Secret"]) {
      assert(text.includes(`serval_source_synced{kind="${kind}"} 1`), kind);
    }
    const restarts = /^serval_kube_watch_restarts_total\{kind="HTTPRoute"\} (\d+)/m.exec(text);
    assert(restarts && Number(restarts[1]) >= 1, "the cut HTTPRoute watch was counted");
  });

  assertEquals((await gw.stop()).code, 0);
});
