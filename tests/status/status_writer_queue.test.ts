/**
 * The status writer's queue: only the leader writes, and it stops at once
 * when it stops leading; writes wait for the token bucket and for a 429's
 * Retry-After; the status sink only queues; every outcome is reported; and
 * a result costs what changed in it (statuses that are new objects, or
 * what its trail says changed).
 */
import { assert, assertEquals } from "@std/assert";
import { silentLogger } from "../../src/log/logger.ts";
import type { ObjectStatus } from "../../src/model/config.ts";
import { withStatusTrail } from "../../src/model/status_changes.ts";
import type { GatewayResource } from "../../src/resources/types.ts";
import { createStore } from "../../src/source/store.ts";
import { createStatusWriter } from "../../src/status/status_writer.ts";
import { FakeClock } from "../_helpers/fake_clock.ts";
import { CONTROLLER, httpRoute, waitFor } from "../fake_kube/fake_kube_fixtures.ts";
import { manualLeadership } from "./_status_env.ts";
import { classStatus, recordingWriter, result, routeStatus, writerEnv } from "./_status_results.ts";

Deno.test("nothing is written while not leader; everything is written on becoming leader", async () => {
  const leadership = manualLeadership(false);
  await using env = await writerEnv({ leadership });
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
  await using env = await writerEnv({ leadership, rateLimit: { perSecond: 2, burst: 1 }, clock });
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
  await using env = await writerEnv({ rateLimit: { perSecond: 10, burst: 1 }, clock });
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
  await using env = await writerEnv({
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
  await using env = await writerEnv({ retryBaseMs: 10, clock });
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

Deno.test("a result checks only the statuses that are new objects, added or gone", async () => {
  await using rec = recordingWriter(50);
  const { writer, statuses, patched } = rec;
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
});

Deno.test("a result that says which statuses changed since the last one is read for those alone", async () => {
  await using rec = recordingWriter(20);
  const { writer, statuses, patched } = rec;
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
});
