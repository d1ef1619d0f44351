import { assert, assertEquals, assertGreaterOrEqual } from "@std/assert";
import { createLogger, silentLogger } from "../../src/log/logger.ts";
import { createStore } from "../../src/source/store.ts";
import { createKubeSource, type KubeSourceOptions } from "../../src/source/kube.ts";
import type { KubeClient } from "../../src/kube/client.ts";
import { WATCHED_KINDS } from "../../src/kube/kinds.ts";
import type { KubeWatchTiming } from "../../src/source/kind_watcher.ts";
import { DEFAULT_PAGE_SIZE } from "../../src/source/kube_watch.ts";
import type { Source } from "../../src/source/source.ts";
import {
  type FakeKube,
  type FakeKubeOptions,
  startFakeKube,
} from "../fake_kube/fake_kube_server.ts";
import {
  clientFor,
  endpointSlice,
  gateway,
  gatewayClass,
  httpRoute,
  namespace,
  secret,
  service,
  waitFor,
} from "../fake_kube/fake_kube_fixtures.ts";
import { FakeClock } from "../_helpers/fake_clock.ts";

const FAST: KubeWatchTiming = {
  watchTimeoutSeconds: 30,
  idleMarginMs: 1000,
  backoff: { baseMs: 10, capMs: 100 },
  notFoundRetryMs: 200,
};

interface Env {
  kube: FakeKube;
  client: KubeClient;
  source: Source;
  [Symbol.asyncDispose](): Promise<void>;
}

async function setup(
  fakeOptions: FakeKubeOptions = {},
  sourceOptions: Partial<KubeSourceOptions> = {},
  seed: (kube: FakeKube) => void = seedWorld,
  tokenFile?: string,
): Promise<Env> {
  const kube = await startFakeKube(fakeOptions);
  seed(kube);
  const client = await clientFor(kube, { tokenFile });
  const source = createKubeSource({
    client,
    store: createStore(),
    logger: silentLogger,
    timing: FAST,
    ...sourceOptions,
  });
  return {
    kube,
    client,
    source,
    async [Symbol.asyncDispose]() {
      await source.stop();
      client.close();
      await kube.close();
    },
  };
}

function seedWorld(kube: FakeKube): void {
  kube.apply(namespace("default"));
  kube.apply(gatewayClass());
  kube.apply(gateway());
  kube.apply(httpRoute("r1"));
  kube.apply(service());
  kube.apply(endpointSlice("backend", ["10.0.0.1"], 8080));
  kube.apply(secret("tls-cert"));
  kube.apply(secret("opaque-creds", "Opaque"));
  kube.apply({
    apiVersion: "gateway.networking.k8s.io/v1beta1",
    kind: "ReferenceGrant",
    metadata: { name: "grant", namespace: "default" },
    spec: {
      from: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute", namespace: "other" }],
      to: [{ group: "", kind: "Service" }],
    },
  });
}

const routeNames = (source: Source) =>
  source.store.list("HTTPRoute").map((r) => r.metadata.name).sort();

const listRequests = (kube: FakeKube, plural: string) =>
  kube.requests.filter((r) => r.path.endsWith(`/${plural}`) && r.query.watch !== "true");

Deno.test("start resolves after every kind was listed, with kind and apiVersion on each object", async () => {
  await using env = await setup();
  await env.source.start();
  const state = env.source.syncState();
  assertEquals(Object.keys(state).length, WATCHED_KINDS.length);
  for (const [kind, s] of Object.entries(state)) assert(s.synced, `${kind} synced`);
  const snap = env.source.store.snapshot();
  assertEquals(snap.gatewayClasses.length, 1);
  assertEquals(snap.httpRoutes[0].kind, "HTTPRoute");
  assertEquals(snap.services[0].kind, "Service");
  assertEquals(snap.services[0].apiVersion, "v1");
  assertEquals(snap.endpointSlices[0].apiVersion, "discovery.k8s.io/v1");
  assertEquals(snap.referenceGrants.length, 1);
  assertEquals(state.Secret.objects, 1);
});

Deno.test("Secrets are listed and watched with the kubernetes.io/tls field selector only", async () => {
  await using env = await setup();
  await env.source.start();
  assertEquals(env.source.store.list("Secret").map((s) => s.metadata.name), ["tls-cert"]);
  env.kube.apply(secret("other-opaque", "Opaque"));
  env.kube.apply(secret("second-tls"));
  await waitFor("second tls secret", () => env.source.store.list("Secret").length === 2);
  const secretRequests = env.kube.requests.filter((r) => r.path.endsWith("/secrets"));
  assert(secretRequests.length >= 2);
  for (const r of secretRequests) assertEquals(r.query.fieldSelector, "type=kubernetes.io/tls");
});

Deno.test("a large kind is listed in pages of `limit` objects with continue tokens", async () => {
  await using env = await setup({}, { timing: { ...FAST, pageSize: 2 } }, (kube) => {
    for (let i = 0; i < 5; i++) kube.apply(service(`svc-${i}`));
  });
  await env.source.start();
  assertEquals(env.source.store.list("Service").length, 5);
  const pages = listRequests(env.kube, "services");
  assertEquals(pages.length, 3);
  assertEquals(pages[0].query.limit, "2");
  assert(pages[1].query.continue, "second page carries a continue token");
});

Deno.test("watch events add, modify and delete objects in the store", async () => {
  await using env = await setup();
  await env.source.start();
  env.kube.apply(httpRoute("r2", { prefix: "/two" }));
  await waitFor("r2 added", () => routeNames(env.source).includes("r2"));
  env.kube.apply(httpRoute("r2", { prefix: "/changed" }));
  await waitFor(
    "r2 modified",
    () =>
      env.source.store.list("HTTPRoute").some((r) =>
        r.kind === "HTTPRoute" &&
        r.spec.rules?.[0].matches?.[0].path?.value === "/changed"
      ),
  );
  env.kube.remove("gateway.networking.k8s.io/v1", "HTTPRoute", "default", "r1");
  await waitFor("r1 deleted", () => routeNames(env.source).join() === "r2");
});

Deno.test("watches ask for bookmarks and a jittered server timeout, and resume from the list's version", async () => {
  await using env = await setup();
  await env.source.start();
  await waitFor("route watch open", () => env.kube.watches.count("httproutes") === 1);
  const list = listRequests(env.kube, "httproutes")[0];
  const watch = env.kube.requests.find((r) =>
    r.path.endsWith("/httproutes") && r.query.watch === "true"
  )!;
  assertEquals(watch.query.allowWatchBookmarks, "true");
  const timeout = Number(watch.query.timeoutSeconds);
  assert(timeout >= 30 && timeout <= 36, `timeoutSeconds ${timeout} within [30, 36]`);
  assertEquals(list.query.limit, String(DEFAULT_PAGE_SIZE));
  assert(Number(watch.query.resourceVersion) >= 1000);
});

Deno.test("a BOOKMARK advances the resume version so a reconnect after compaction needs no relist", async () => {
  await using env = await setup({ bookmarkIntervalMs: 50 });
  await env.source.start();
  // Other kinds change: the route watch sees only bookmarks carrying the newer version.
  for (let i = 0; i < 3; i++) env.kube.apply(service(`noise-${i}`));
  const revision = env.kube.store.revision;
  // A bookmark carrying the newer version is on the route watch's stream (it
  // is read before the close below).
  await waitFor(
    "a bookmark at the newer version",
    () => (env.kube.watches.bookmarked.get("httproutes") ?? 0) >= revision,
  );
  env.kube.store.compact();
  const listsBefore = listRequests(env.kube, "httproutes").length;
  env.kube.watches.cut("close", "httproutes");
  env.kube.apply(httpRoute("after-bookmark"));
  await waitFor("route after reconnect", () => routeNames(env.source).includes("after-bookmark"));
  assertEquals(listRequests(env.kube, "httproutes").length, listsBefore);
  const resumed = env.kube.requests.filter((r) =>
    r.path.endsWith("/httproutes") && r.query.watch === "true"
  ).at(-1)!;
  assertGreaterOrEqual(Number(resumed.query.resourceVersion), revision);
});

for (const expiredWatchAs of ["event", "status"] as const) {
  Deno.test(`410 Gone on a watch (${expiredWatchAs === "event" ? "ERROR event" : "HTTP status"}) relists and catches up`, async () => {
    await using env = await setup({ expiredWatchAs });
    await env.source.start();
    await waitFor("route watch open", () => env.kube.watches.count("httproutes") === 1);
    // While the watch is down the route changes and history is compacted.
    env.kube.watches.terminateAll();
    env.kube.remove("gateway.networking.k8s.io/v1", "HTTPRoute", "default", "r1");
    env.kube.apply(httpRoute("r3"));
    env.kube.store.compact();
    await waitFor("relisted", () => routeNames(env.source).join() === "r3");
    assertGreaterOrEqual(listRequests(env.kube, "httproutes").length, 2);
  });
}

for (const mode of ["error", "close"] as const) {
  Deno.test(`a watch cut in the middle of an event (${mode}) reconnects and delivers that event`, async () => {
    await using env = await setup();
    await env.source.start();
    await waitFor("route watch open", () => env.kube.watches.count("httproutes") === 1);
    env.kube.watches.cut(mode, "httproutes");
    env.kube.apply(httpRoute("cut-route"));
    await waitFor("cut event delivered", () => routeNames(env.source).includes("cut-route"));
    env.kube.apply(httpRoute("next-route"));
    await waitFor("next event delivered", () => routeNames(env.source).includes("next-route"));
    assertEquals(listRequests(env.kube, "httproutes").length, 1, "no relist needed");
  });
}

/**
 * Moves `clock` on by `stepMs` each time `check` is found false, until it
 * holds: for paths where real requests and waits on the clock take turns.
 */
async function driveUntil(clock: FakeClock, what: string, check: () => boolean, stepMs: number) {
  await waitFor(what, async () => {
    if (check()) return true;
    await clock.advance(stepMs);
    return check();
  });
}

Deno.test("a hung watch (no bytes) is aborted by the idle deadline and the change arrives", async () => {
  const clock = new FakeClock();
  await using env = await setup({}, {
    timing: { ...FAST, watchTimeoutSeconds: 1, watchTimeoutJitter: 0, idleMarginMs: 300, clock },
  });
  await env.source.start();
  await waitFor("route watch open", () => env.kube.watches.count("httproutes") === 1);
  env.kube.watches.hang("httproutes");
  env.kube.apply(httpRoute("after-hang"));
  // Just short of its idle deadline the hung watch is still the only route watch.
  await clock.advance(1_299);
  assertEquals(env.kube.watches.opened.get("httproutes"), 1);
  assertEquals(routeNames(env.source).includes("after-hang"), false);
  await driveUntil(
    clock,
    "change after hang",
    () => routeNames(env.source).includes("after-hang"),
    10,
  );
  // The hung stream delivered nothing: the change came through a new watch.
  assertGreaterOrEqual(env.kube.watches.opened.get("httproutes") ?? 0, 2);
});

Deno.test("a watch whose response headers never come is aborted by the idle deadline", async () => {
  const clock = new FakeClock();
  await using env = await setup({}, {
    timing: { ...FAST, watchTimeoutSeconds: 1, watchTimeoutJitter: 0, idleMarginMs: 200, clock },
  });
  env.kube.watches.hangNew.set("httproutes", "headers");
  await env.source.start();
  await waitFor("hung watch open", () => (env.kube.watches.opened.get("httproutes") ?? 0) === 1);
  env.kube.watches.hangNew.clear();
  env.kube.apply(httpRoute("after-headers-hang"));
  await clock.advance(1_199);
  assertEquals(env.kube.watches.opened.get("httproutes"), 1, "not given up before the deadline");
  await driveUntil(
    clock,
    "change arrives",
    () => routeNames(env.source).includes("after-headers-hang"),
    10,
  );
  assert(env.source.syncState().HTTPRoute.synced);
});

for (const status of [429, 500]) {
  Deno.test(`a ${status} with Retry-After delays the next list by at least that long`, async () => {
    const clock = new FakeClock();
    await using env = await setup({}, { timing: { ...FAST, clock } });
    env.kube.failNext({ status, retryAfter: 1, pathIncludes: "/httproutes", watch: false });
    const started = env.source.start();
    // The failed list waits on the clock; the other kinds' idle deadlines are far later.
    await waitFor(
      "the failed list and the wait after it",
      () =>
        listRequests(env.kube, "httproutes").length === 1 && clock.nextDelay() !== undefined &&
        clock.nextDelay()! <= 1000,
    );
    // The backoff alone would wait under 10 ms; Retry-After: 1 is the floor.
    assertEquals(clock.nextDelay(), 1000);
    await clock.advance(999);
    assertEquals(listRequests(env.kube, "httproutes").length, 1, "listed again too soon");
    await clock.advance(1);
    await started;
    const lists = listRequests(env.kube, "httproutes");
    assertEquals(lists.map((r) => r.status), [status, 200]);
    assertEquals(routeNames(env.source), ["r1"]);
  });
}

Deno.test("a rotated token is re-read after a 401 and the request retried", async () => {
  const dir = await Deno.makeTempDir();
  const tokenFile = `${dir}/token`;
  await Deno.writeTextFile(tokenFile, "token-one\n");
  await using env = await setup({ token: "token-one" }, {}, seedWorld, tokenFile);
  await env.source.start();
  await waitFor("route watch open", () => env.kube.watches.count("httproutes") === 1);
  // The kubelet rotates the projected token; the API server stops accepting the old one.
  await Deno.writeTextFile(tokenFile, "token-two\n");
  env.kube.token = "token-two";
  env.kube.watches.terminateAll();
  env.kube.apply(httpRoute("after-rotation"));
  await waitFor("change after rotation", () => routeNames(env.source).includes("after-rotation"));
  // The token is shared: whichever kind reconnects first gets the 401 and re-reads it.
  const rejected = env.kube.requests.filter((r) => r.status === 401);
  assert(
    rejected.length >= 1 && rejected.length <= WATCHED_KINDS.length,
    `${rejected.length} requests got 401`,
  );
  assertEquals(env.kube.requests.at(-1)?.status, 200);
});

Deno.test("the API server down then back: last data kept throughout, nothing lost after", async () => {
  await using env = await setup();
  await env.source.start();
  await env.kube.down();
  // Changes happen while we cannot see them, and history is compacted.
  env.kube.apply(httpRoute("during-outage"));
  env.kube.remove("gateway.networking.k8s.io/v1", "HTTPRoute", "default", "r1");
  env.kube.apply(endpointSlice("backend", ["10.0.0.2"], 8080));
  env.kube.store.compact();
  await waitFor("the outage reported", () => !!env.source.syncState().HTTPRoute.lastError);
  assertEquals(routeNames(env.source), ["r1"], "last good data kept during the outage");
  await env.kube.up();
  await waitFor("outage changes applied", () => routeNames(env.source).join() === "during-outage");
  await waitFor(
    "endpoints updated",
    () => env.source.store.snapshot().endpointSlices[0]?.endpoints?.[0].addresses[0] === "10.0.0.2",
  );
  await waitFor("errors cleared", () => !env.source.syncState().HTTPRoute.lastError);
});

Deno.test("a missing CRD counts as synced and empty, and is picked up once installed", async () => {
  await using env = await setup({ missing: ["referencegrants"] });
  await env.source.start();
  const state = env.source.syncState().ReferenceGrant;
  assert(state.synced);
  assertEquals(state.objects, 0);
  assert(state.lastError?.includes("CRD"), state.lastError);
  env.kube.setMissing("referencegrants", false);
  await waitFor("grant appears", () => env.source.store.list("ReferenceGrant").length === 1);
});

Deno.test("after an outage the backoff starts over once the API server answers: the relist waits the shortest time", async () => {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ level: "debug", write: (line) => lines.push(JSON.parse(line)) });
  const baseMs = 10;
  await using env = await setup({}, {
    logger,
    // Waits at their ceilings (no jitter), so a grown backoff cannot pass for a reset one.
    random: () => 0.999,
    timing: { ...FAST, backoff: { baseMs, capMs: 60_000 } },
  });
  await env.source.start();
  await env.kube.down();
  const routeLogs = (msg: string) => lines.filter((l) => l.kind === "HTTPRoute" && l.msg === msg);
  // Six failures in a row: the next wait would be 64 × base without a reset. A failed watch and
  // a failed list draw on the same backoff; which one fails depends on where the outage caught
  // the watcher (a watch the server ended asks for a relist), so both count.
  const failures = () =>
    routeLogs("watch failed; reconnecting").length + routeLogs("list failed; retrying").length;
  await waitFor("the backoff to grow", () => failures() >= 6);
  env.kube.apply(httpRoute("during-outage"));
  env.kube.store.compact();
  await env.kube.up();
  await waitFor("the relist", () => routeLogs("resource version expired; relisting").length > 0);
  const [relist] = routeLogs("resource version expired; relisting");
  assert(Number(relist.retryMs) <= baseMs, JSON.stringify(relist));
  await waitFor(
    "the change made during the outage",
    () => routeNames(env.source).includes("during-outage"),
  );
});

Deno.test("reload relists every kind and reports success", async () => {
  await using env = await setup();
  await env.source.start();
  const before = listRequests(env.kube, "gatewayclasses").length;
  const outcome = await env.source.reload();
  assert(outcome.ok, outcome.message);
  assertEquals(listRequests(env.kube, "gatewayclasses").length, before + 1);
});

Deno.test("reload reports failure while the API server is down", async () => {
  await using env = await setup();
  await env.source.start();
  await env.kube.down();
  const outcome = await env.source.reload();
  assertEquals(outcome.ok, false);
  assert(outcome.message.startsWith("Cannot relist"), outcome.message);
  assertEquals(routeNames(env.source), ["r1"]);
});

Deno.test("an invalid object is reported as a problem and kept out of the store", async () => {
  await using env = await setup();
  await env.source.start();
  env.source.store.flush(); // the initial list's own signal is not the one under test
  let signals = 0;
  env.source.store.onChange(() => signals++);
  const bad = gateway("bad-gw");
  bad.spec.listeners[0].port = 70000;
  env.kube.apply(bad);
  await waitFor("problem reported", () => env.source.problems().length === 1);
  // No object changed, yet the store signals so the problem reaches /config.
  await waitFor("the store's change signal", () => signals > 0);
  const [problem] = env.source.problems();
  assertEquals(problem.object, "gateway/default/bad-gw");
  assertEquals(problem.field, "spec.listeners[0].port");
  assertEquals(env.source.store.list("Gateway").map((g) => g.metadata.name), ["gw"]);
  bad.spec.listeners[0].port = 8081;
  env.kube.apply(bad);
  await waitFor("fixed gateway stored", () => env.source.store.list("Gateway").length === 2);
  assertEquals(env.source.problems(), []);
});

Deno.test("sync state and watch restarts are reported per kind", async () => {
  const syncs: string[] = [];
  const restarts: string[] = [];
  await using env = await setup({}, {
    onSyncChange: (kind, synced) => syncs.push(`${kind}=${synced}`),
    onWatchRestart: (kind) => restarts.push(kind),
  });
  // The first list of HTTPRoutes fails once: every other kind is synced before it.
  env.kube.failNext({ status: 500, pathIncludes: "/httproutes", watch: false });
  await env.source.start();
  const kinds = Object.keys(env.source.syncState());
  assertEquals(syncs.slice(0, kinds.length), kinds.map((k) => `${k}=false`));
  assertEquals(syncs.slice(kinds.length).sort(), kinds.map((k) => `${k}=true`).sort());
  assertEquals(syncs.at(-1), "HTTPRoute=true");
  await waitFor("route watch open", () => env.kube.watches.count("httproutes") === 1);
  assertEquals(restarts, []);

  env.kube.watches.cut("close", "httproutes");
  env.kube.apply(httpRoute("r2"));
  await waitFor("the cut watch restarted", () => restarts.includes("HTTPRoute"));
  assertEquals(new Set(restarts), new Set(["HTTPRoute"]));
  await waitFor("r2 seen", () => env.source.store.list("HTTPRoute").length === 2);
  await env.source.stop();
  assertEquals(new Set(restarts), new Set(["HTTPRoute"]), "stop is not a restart");
  assertEquals(syncs.length, kinds.length * 2);
});
