import { assert, assertEquals } from "@std/assert";
import { silentLogger } from "../../src/log/logger.ts";
import type { KubeClient } from "../../src/source/kube_client.ts";
import { createLeaderElector, type LeaderElector } from "../../src/status/leader_election.ts";
import { type FakeKube, startFakeKube } from "../fake_kube/fake_kube_server.ts";
import { clientFor, waitFor } from "../fake_kube/fake_kube_fixtures.ts";

const TIMING = { leaseDurationMs: 1500, renewDeadlineMs: 1000, retryPeriodMs: 100 };

async function electors(kube: FakeKube, n: number) {
  const clients: KubeClient[] = [];
  const list: LeaderElector[] = [];
  for (let i = 0; i < n; i++) {
    const client = await clientFor(kube, { token: `replica-${i}` });
    clients.push(client);
    list.push(createLeaderElector({
      client,
      namespace: "gateway-system",
      identity: `replica-${i}`,
      logger: silentLogger,
      ...TIMING,
    }));
  }
  return {
    list,
    async [Symbol.asyncDispose]() {
      await Promise.all(list.map((e) => e.stop()));
      for (const c of clients) c.close();
    },
  };
}

const leaders = (list: LeaderElector[]) => list.filter((e) => e.isLeader());

Deno.test("of two electors exactly one becomes leader and records itself in the Lease", async () => {
  await using kube = await startFakeKube();
  await using group = await electors(kube, 2);
  for (const e of group.list) e.start();
  await waitFor("a leader", () => leaders(group.list).length === 1);
  await new Promise((r) => setTimeout(r, 500));
  assertEquals(leaders(group.list).length, 1, "still exactly one after several renewals");
  const lease = kube.get("coordination.k8s.io/v1", "Lease", "gateway-system", "serval-k8s-gateway");
  const spec = lease?.spec as Record<string, unknown>;
  assertEquals(spec.holderIdentity, leaders(group.list)[0].identity);
  assertEquals(spec.leaseDurationSeconds, 2);
  assert(/\.\d{6}Z$/.test(String(spec.renewTime)), `MicroTime ${spec.renewTime}`);
});

Deno.test("a leader that stops releases the Lease and the other takes over within a retry period or two", async () => {
  await using kube = await startFakeKube();
  await using group = await electors(kube, 2);
  for (const e of group.list) e.start();
  const first: LeaderElector = await waitFor("a leader", () => {
    const l = leaders(group.list);
    return l.length === 1 ? l[0] : undefined;
  });
  const other = group.list.find((e) => e !== first)!;
  const t0 = performance.now();
  await first.stop();
  assertEquals(first.isLeader(), false);
  await waitFor("takeover", () => other.isLeader(), 1000);
  assert(performance.now() - t0 < 1000, "faster than the lease duration");
  const spec = kube.get("coordination.k8s.io/v1", "Lease", "gateway-system", "serval-k8s-gateway")
    ?.spec as Record<string, unknown>;
  assertEquals(spec.leaseTransitions, 1);
});

Deno.test("a leader cut off from the API steps down before another replica takes over", async () => {
  await using kube = await startFakeKube();
  await using group = await electors(kube, 2);
  for (const e of group.list) e.start();
  const first: LeaderElector = await waitFor("a leader", () => {
    const l = leaders(group.list);
    return l.length === 1 ? l[0] : undefined;
  });
  const other = group.list.find((e) => e !== first)!;
  const events: string[] = [];
  first.onChange((leading) => events.push(`${first.identity}:${leading}`));
  other.onChange((leading) => events.push(`${other.identity}:${leading}`));
  // The leader's credentials stop working: it can no longer renew (a crash, seen from outside).
  const t0 = performance.now();
  kube.extraTokens.delete(first.identity);
  await waitFor("takeover", () => other.isLeader(), 4000);
  const took = performance.now() - t0;
  assertEquals(first.isLeader(), false);
  assertEquals(events, [`${first.identity}:false`, `${other.identity}:true`]);
  assert(took >= TIMING.renewDeadlineMs, `not before the lease could expire (${took} ms)`);
  assert(took <= TIMING.leaseDurationMs + 1000, `within the lease duration (${took} ms)`);
});

Deno.test("a leader that cannot reach the API steps down at its renew deadline and leads again once back", async () => {
  await using kube = await startFakeKube();
  await using group = await electors(kube, 1);
  const [only] = group.list;
  only.start();
  await waitFor("leader", () => only.isLeader());
  await kube.down();
  const t0 = performance.now();
  await waitFor("stepped down", () => !only.isLeader(), 3000);
  const took = performance.now() - t0;
  assert(took <= TIMING.renewDeadlineMs + 300, `stepped down after ${Math.round(took)} ms`);
  await kube.up();
  await waitFor("leader again", () => only.isLeader(), 3000);
});
