/**
 * Leader election against the fake API server, with time driven by a
 * FakeClock: each round advances one retry period and then waits until every
 * running elector has finished its attempt, so lease expiry and renew
 * deadlines are checked to the millisecond, whatever the machine's load.
 */
import { assert, assertEquals } from "@std/assert";
import { silentLogger } from "../../src/log/logger.ts";
import type { KubeClient } from "../../src/kube/client.ts";
import { createLeaderElector, type LeaderElector } from "../../src/status/leader_election.ts";
import { type FakeKube, startFakeKube } from "../fake_kube/fake_kube_server.ts";
import { clientFor, waitFor } from "../fake_kube/fake_kube_fixtures.ts";
import { FakeClock } from "../_helpers/fake_clock.ts";

const TIMING = { leaseDurationMs: 1500, renewDeadlineMs: 1000, retryPeriodMs: 100 };
/** The Lease records whole seconds: 1500 ms is written, and honoured, as 2 s. */
const RECORDED_LEASE_MS = 2000;

async function electors(kube: FakeKube, n: number) {
  const clock = new FakeClock(0);
  const clients: KubeClient[] = [];
  const list: LeaderElector[] = [];
  const attempts: number[] = [];
  for (let i = 0; i < n; i++) {
    const client = await clientFor(kube, { token: `replica-${i}` });
    clients.push(client);
    attempts.push(0);
    list.push(createLeaderElector({
      client,
      namespace: "gateway-system",
      identity: `replica-${i}`,
      logger: silentLogger,
      clock,
      // No jitter: every elector waits exactly one retry period, so rounds stay in step.
      random: () => 0,
      onAttempt: () => attempts[i]++,
      ...TIMING,
    }));
  }
  const stopped = new Set<LeaderElector>();
  const running = () => list.map((e, i) => [e, i] as const).filter(([e]) => !stopped.has(e));
  return {
    clock,
    list,
    async start() {
      for (const e of list) e.start();
      await waitFor("every first attempt", () => attempts.every((a) => a >= 1));
    },
    async stop(e: LeaderElector) {
      stopped.add(e);
      await e.stop();
    },
    /** One retry period passes; resolves when every running elector has made its attempt. */
    async round() {
      const before = [...attempts];
      await clock.advance(TIMING.retryPeriodMs);
      await waitFor(
        "an attempt by every elector",
        () => running().every(([, i]) => attempts[i] > before[i]),
      );
    },
    /** Rounds until `check` holds; fails after `max` rounds. */
    async roundsUntil(what: string, check: () => boolean, max = 100) {
      for (let i = 0; i < max && !check(); i++) await this.round();
      assert(check(), `Cannot observe ${what} within ${max} retry periods`);
    },
    async [Symbol.asyncDispose]() {
      await Promise.all(list.map((e) => e.stop()));
      for (const c of clients) c.close();
    },
  };
}

const leaders = (list: LeaderElector[]) => list.filter((e) => e.isLeader());
const leaseSpec = (kube: FakeKube) =>
  kube.get("coordination.k8s.io/v1", "Lease", "gateway-system", "serval-k8s-gateway")
    ?.spec as Record<string, unknown>;

Deno.test("of two electors exactly one becomes leader and records itself in the Lease", async () => {
  await using kube = await startFakeKube();
  await using group = await electors(kube, 2);
  await group.start();
  assertEquals(leaders(group.list).length, 1, "one leader from the first attempts");
  // Well past the lease duration and the renew deadline: the leader renews and stays alone.
  for (let i = 0; i < 30; i++) {
    await group.round();
    assertEquals(leaders(group.list).length, 1, `exactly one leader after round ${i + 1}`);
  }
  const spec = leaseSpec(kube);
  assertEquals(spec.holderIdentity, leaders(group.list)[0].identity);
  assertEquals(spec.leaseDurationSeconds, 2);
  assert(/\.\d{6}Z$/.test(String(spec.renewTime)), `MicroTime ${spec.renewTime}`);
});

Deno.test("a leader that stops releases the Lease and the other takes over at its next attempt", async () => {
  await using kube = await startFakeKube();
  await using group = await electors(kube, 2);
  await group.start();
  const [first] = leaders(group.list);
  const other = group.list.find((e) => e !== first)!;
  await group.stop(first);
  assertEquals(first.isLeader(), false);
  assertEquals(leaseSpec(kube).holderIdentity, "", "released");
  const t0 = group.clock.now();
  await group.round();
  assert(other.isLeader(), "took over one retry period after the release");
  assert(group.clock.now() - t0 < TIMING.leaseDurationMs, "faster than the lease duration");
  assertEquals(leaseSpec(kube).leaseTransitions, 1);
});

Deno.test("a leader cut off from the API steps down before another replica takes over", async () => {
  await using kube = await startFakeKube();
  await using group = await electors(kube, 2);
  await group.start();
  const [first] = leaders(group.list);
  const other = group.list.find((e) => e !== first)!;
  const events: string[] = [];
  const at: Record<string, number> = {};
  for (const e of [first, other]) {
    e.onChange((leading) => {
      events.push(`${e.identity}:${leading}`);
      at[`${e.identity}:${leading}`] = group.clock.now();
    });
  }
  await group.round(); // One more renewal, so the last one happened at a known time.
  const lastRenewal = group.clock.now();
  // The leader's credentials stop working: it can no longer renew (a crash, seen from outside).
  kube.extraTokens.delete(first.identity);
  await group.roundsUntil("a takeover", () => other.isLeader());
  assertEquals(first.isLeader(), false);
  assertEquals(events, [`${first.identity}:false`, `${other.identity}:true`]);
  assertEquals(at[`${first.identity}:false`] - lastRenewal, TIMING.renewDeadlineMs);
  const took = at[`${other.identity}:true`] - lastRenewal;
  assert(took >= RECORDED_LEASE_MS, `not before the lease expired (${took} ms)`);
  assert(took <= RECORDED_LEASE_MS + 2 * TIMING.retryPeriodMs, `soon after (${took} ms)`);
});

Deno.test("a leader that cannot reach the API steps down at its renew deadline and leads again once back", async () => {
  await using kube = await startFakeKube();
  await using group = await electors(kube, 1);
  const [only] = group.list;
  await group.start();
  assert(only.isLeader());
  const lastRenewal = group.clock.now();
  let steppedDownAt = 0;
  only.onChange((leading) => {
    if (!leading) steppedDownAt = group.clock.now();
  });
  await kube.down();
  await group.roundsUntil("the step-down", () => !only.isLeader());
  assertEquals(steppedDownAt - lastRenewal, TIMING.renewDeadlineMs);
  await kube.up();
  await group.roundsUntil("leadership again", () => only.isLeader());
});
