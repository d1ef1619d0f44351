/**
 * Several gateway processes with `--leader-elect` against one fake API
 * server: every replica serves traffic, exactly one writes status, a leader
 * stopped with SIGTERM releases the Lease so another takes over at once, and a
 * leader killed with SIGKILL is replaced once its Lease expires. Each replica
 * authenticates with a token of its own, so the fake server tells whose
 * request each PATCH was. Lease timings are shortened through the CLI flags.
 */
import { assert, assertEquals, assertGreaterOrEqual, assertLess } from "@std/assert";
import { httpRoute, waitFor } from "../fake_kube/fake_kube_fixtures.ts";
import { conditionSummary, type KubeGateway, type Obj, startKubeWorld } from "./kube_world.ts";

const CONTROLLER = "gateway.serval.dev/controller";
const LEASE_MS = 4000;
const RETRY_MS = 500;

/** A replica's requests to the Lease since `after`, in order of arrival. */
const leaseRequests = (gw: KubeGateway, after: number) =>
  gw.requests().filter((r) => r.path.includes("/leases") && r.at > after);
/** When the replica's first successful write of the Lease since `after` arrived: it leads from then. */
const acquiredAt = (gw: KubeGateway, after: number) =>
  leaseRequests(gw, after).find((r) => r.method !== "GET" && r.status < 300)?.at;
const ELECTION_FLAGS = [
  "--leader-elect",
  "--leader-election-namespace",
  "default",
  "--leader-election-lease-duration",
  `${LEASE_MS}ms`,
  "--leader-election-renew-deadline",
  "3s",
  "--leader-election-retry-period",
  `${RETRY_MS}ms`,
];

const resolvedRefs = (route: Obj | undefined) =>
  conditionSummary(
    ((route?.parents ?? []) as Obj[]).find((p) => p.controllerName === CONTROLLER),
  ).ResolvedRefs;

Deno.test("replicas with --leader-elect: all serve, one writes status, SIGTERM hands over at once, SIGKILL after the lease expires", async (t) => {
  await using world = await startKubeWorld();
  const { kube } = world;
  const lease = () =>
    kube.get("coordination.k8s.io/v1", "Lease", "default", "serval-k8s-gateway")?.spec as
      | Obj
      | undefined;
  const start = (name: string, listenHost: string) =>
    world.start(name, {
      listenHost,
      // Each replica would publish its own address: a write by a follower would show.
      args: [...ELECTION_FLAGS, "--gateway-address", listenHost],
      env: { POD_NAME: `replica-${name}` },
    });
  const addresses = () =>
    ((world.status("Gateway", "gw")?.addresses ?? []) as Obj[]).map((a) => a.value);
  const leads = async (gw: KubeGateway) => (await gw.leaderElection()).leader;
  /** Switches the route's backend and waits until some replica wrote the resulting status. */
  const changeRoute = async (backend: string, expected: string) => {
    kube.apply(httpRoute("web", { prefix: "/", backend }));
    await waitFor(
      `route status ${expected}`,
      () => resolvedRefs(world.status("HTTPRoute", "web")) === expected,
    );
  };

  const a = await start("a", "127.0.0.1");
  await waitFor("a leads", () => leads(a));
  const b = await start("b", "127.0.0.2");

  await t.step("both replicas serve traffic; only the leader writes status", async () => {
    assertEquals(await world.get("/", { listenHost: "127.0.0.1" }), { status: 200, backend: "a" });
    assertEquals(await world.get("/", { listenHost: "127.0.0.2" }), { status: 200, backend: "a" });
    await changeRoute("svc-missing", "False/BackendNotFound");
    // The follower rebuilt with the change too (it answers 500 for the missing
    // backend), so its status writer holds the same statuses; not leading, it
    // wrote none, and it cannot start without a leadership change.
    await waitFor(
      "the follower serving the change",
      async () => (await world.get("/", { listenHost: "127.0.0.2" })).status === 500,
    );
    assertEquals(addresses(), ["127.0.0.1"]);
    assertGreaterOrEqual(a.statusPatches().length, 3);
    assertEquals(b.statusPatches().length, 0);
    const follower = await b.leaderElection();
    assertEquals(follower.leader, false);
    assertEquals(follower.holder, (await a.leaderElection()).identity);
    assertEquals(lease()?.holderIdentity, (await a.leaderElection()).identity);
    assert(b.requests().some((r) => r.path.includes("/leases/")), "the follower campaigns");
  });

  let bLeadsAt = 0;
  await t.step(
    "the leader stopped with SIGTERM releases the Lease; the other leads within a retry period or two",
    async () => {
      const patchesOfA = a.statusPatches().length;
      assertEquals((await a.stop()).code, 0);
      const stoppedAt = performance.now();
      const released = lease();
      assert(
        released?.holderIdentity === "" ||
          released?.holderIdentity === (await b.leaderElection()).identity,
        `released: ${JSON.stringify(released)}`,
      );
      await waitFor("b leads", () => leads(b));
      // a's last write of the Lease was its release (b may take the Lease
      // before a's process has exited). b's first attempt after it takes the
      // Lease: GET then PUT, with at most one attempt more in between.
      // Counting attempts, not milliseconds, holds on a machine of any speed.
      const releasedAt = leaseRequests(a, 0).filter((r) => r.method === "PUT").at(-1)!.at;
      assert(releasedAt <= stoppedAt);
      const since = leaseRequests(b, releasedAt);
      const acquiring = since.findIndex((r) => r.method !== "GET" && r.status < 300);
      assert(acquiring >= 0 && acquiring <= 3, `b's Lease requests: ${JSON.stringify(since)}`);
      bLeadsAt = since[acquiring].at;
      assertEquals(a.statusPatches().length, patchesOfA);
      // A new leader checks every status: the Gateway now shows b's address.
      await waitFor("b's address published", () => addresses()[0] === "127.0.0.2");
      // Traffic went on through the remaining replica, and the new leader writes.
      assertEquals((await world.get("/", { listenHost: "127.0.0.2" })).status, 500);
      await changeRoute("svc-a", "True/ResolvedRefs");
      assertGreaterOrEqual(b.statusPatches().length, 1);
      assertEquals((await world.get("/", { listenHost: "127.0.0.2" })).backend, "a");
    },
  );

  await t.step("the leader killed with SIGKILL is replaced once its Lease expires", async () => {
    const c = await start("c", "127.0.0.1");
    await waitFor("c follows", async () => (await c.leaderElection()).holder !== undefined);
    assertEquals(await leads(c), false);
    const bIdentity = (await b.leaderElection()).identity;
    b.kill("SIGKILL");
    await b.status;
    const killedAt = performance.now();
    assertEquals(lease()?.holderIdentity, bIdentity, "a killed leader does not release");
    await waitFor("c leads", () => leads(c));
    const cLeadsAt = acquiredAt(c, killedAt)!;
    // At least the lease duration after c last saw b renew (at most one retry period before the kill).
    // How soon after is a matter of timers, checked exactly in tests/status/leader_election.test.ts.
    assertGreaterOrEqual(cLeadsAt - killedAt, LEASE_MS - 2 * RETRY_MS);
    assertEquals((await world.get("/", { listenHost: "127.0.0.1" })).backend, "a");
    await waitFor("c's address published", () => addresses()[0] === "127.0.0.1");
    await changeRoute("svc-missing", "False/BackendNotFound");
    assertGreaterOrEqual(c.statusPatches().length, 1);
    assertEquals(c.statusPatches().filter((r) => r.at < cLeadsAt).length, 0);
    assertEquals((await c.stop()).code, 0);
  });

  await t.step("no two replicas ever wrote status in the same period", () => {
    const patches = [...a.statusPatches(), ...b.statusPatches()];
    const lastOfA = Math.max(...a.statusPatches().map((r) => r.at));
    const firstOfB = Math.min(...b.statusPatches().map((r) => r.at));
    assert(patches.length > 0);
    assertLess(lastOfA, firstOfB);
    assertGreaterOrEqual(firstOfB, bLeadsAt);
  });
});
