/**
 * Readiness of the gateway process with the kube source: `/readyz` is 503
 * until every kind completed its first list, then 200 for good, even while
 * the API server is unreachable (traffic is still served from the last
 * table); `/config` and `/metrics` show each kind's sync state; `POST /reload`
 * relists every kind.
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { kindPath, WATCHED_KINDS } from "../../src/kube/kinds.ts";
import { waitFor } from "../fake_kube/fake_kube_fixtures.ts";
import { startKubeWorld } from "./kube_world.ts";

interface KindState {
  synced: boolean;
  objects: number;
  lastError?: string;
}

Deno.test("readiness follows the first list of every kind, then holds through an API outage; reload relists", async (t) => {
  await using world = await startKubeWorld();
  const { kube } = world;
  // HTTPRoute lists get no answer until released: that kind cannot sync.
  const release = kube.hold({ pathIncludes: "/httproutes", watch: false });
  const gw = await world.start("ready", { waitFor: "healthz" });
  const syncState = async () =>
    (await (await gw.admin("/config")).json()).source.syncState as Record<string, KindState>;
  const metricsText = async () => await (await gw.admin("/metrics")).text();

  await t.step("503 while one kind has not completed its first list", async () => {
    await waitFor("every other kind synced", async () => {
      const state = await syncState();
      return Object.entries(state).every(([kind, s]) => s.synced === (kind !== "HTTPRoute"));
    });
    const state = await syncState();
    assertEquals(Object.keys(state).sort(), WATCHED_KINDS.map((k) => k.kind).sort());
    for (const url of [gw.adminUrl, gw.telemetryUrl]) {
      const res = await fetch(`${url}/readyz`);
      assertEquals(res.status, 503);
      assertStringIncludes(await res.text(), "HTTPRoute");
    }
    const text = await metricsText();
    assertStringIncludes(text, 'serval_source_synced{kind="HTTPRoute"} 0');
    assertStringIncludes(text, 'serval_source_synced{kind="Gateway"} 1');
    // Nothing is served before the first sync: the listener is not even bound.
    await world.get("/").then(
      (res) => assert(false, `served before sync: ${res.status}`),
      () => {},
    );
  });

  await t.step("200 once that list completes, and traffic is served", async () => {
    release();
    await waitFor("ready", async () => (await gw.admin("/readyz")).status === 200);
    assertEquals((await world.get("/")).backend, "a");
    // One reading: a watch event between two (our status write coming back)
    // moves lastSyncTime.
    const httpRoutes = (await syncState()).HTTPRoute;
    assertEquals(httpRoutes, { ...httpRoutes, synced: true, objects: 1 });
    assertStringIncludes(await metricsText(), 'serval_source_synced{kind="HTTPRoute"} 1');
  });

  await t.step("still 200 while the API server is unreachable; reload then fails", async () => {
    await kube.down();
    // Ready and serving all along, until the gateway itself reports the lost API server, and after.
    await waitFor("the outage seen by the gateway", async () => {
      assertEquals((await gw.admin("/readyz")).status, 200);
      assertEquals((await world.get("/")).status, 200);
      return Object.values(await syncState()).some((s) => s.lastError);
    });
    assertEquals((await gw.admin("/readyz")).status, 200);
    assertEquals((await world.get("/")).status, 200);
    const reload = await gw.admin("/reload", { method: "POST" });
    assertEquals(reload.status, 422);
    assertStringIncludes((await reload.json()).message, "Cannot relist");
    assertEquals((await gw.admin("/readyz")).status, 200);
    const state = await syncState();
    assert(Object.values(state).every((s) => s.synced), JSON.stringify(state));
    assert(Object.values(state).some((s) => s.lastError), "the failure is shown per kind");
  });

  await t.step("POST /reload relists every kind once the API server is back", async () => {
    await kube.up();
    const t0 = performance.now();
    const reload = await gw.admin("/reload", { method: "POST" });
    const body = await reload.json();
    assertEquals(reload.status, 200, JSON.stringify(body));
    assertStringIncludes(body.message, `Relisted ${WATCHED_KINDS.length} kinds`);
    const listed = gw.requests()
      .filter((r) => r.at > t0 && r.method === "GET" && r.query.watch === undefined)
      .map((r) => r.path)
      .sort();
    assertEquals(listed, WATCHED_KINDS.map((k) => kindPath(k)).sort());
    const state = await syncState();
    assert(Object.values(state).every((s) => s.synced && !s.lastError), JSON.stringify(state));
    assertEquals((await world.get("/")).backend, "a");
  });

  assertEquals((await gw.stop()).code, 0);
});
