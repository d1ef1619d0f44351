/**
 * A Gateway that stops being ours while the gateway runs: moved to another
 * controller's class, or its class deleted. Its status names no controller,
 * so what we wrote is taken back (reset to the API server's default for a
 * new Gateway) exactly once, and never over a status the new owner wrote:
 * not when its write comes before our rebuild, nor when it lands between
 * our read and our write.
 */
import { assertEquals } from "@std/assert";
import type { Store } from "../../src/source/store.ts";
import { gateway, gatewayClass, waitFor } from "../fake_kube/fake_kube_fixtures.ts";
import { conditionsOf, GW, listenerSet, type Obj, startStatusEnv } from "./_status_env.ts";

const OTHER = "example.com/other";

/** What the other controller writes on the Gateway once it is theirs. */
const THEIRS = {
  conditions: [{
    type: "Accepted",
    status: "True",
    reason: "Accepted",
    message: "theirs",
    lastTransitionTime: "2020-01-01T00:00:00Z",
  }],
  listeners: [{ name: "http", attachedRoutes: 0, conditions: [] }],
};

/** `gw` in the class `className`, with `status` when given (else the one it has). */
const inClass = (className: string, status?: Obj) => ({
  ...gateway(),
  spec: {
    ...gateway().spec,
    gatewayClassName: className,
    allowedListeners: { namespaces: { from: "Same" } },
  },
  ...(status ? { status } : {}),
});

/**
 * Our class and another controller's, `gw` in ours with a ListenerSet, and
 * a writer over `view(store)` (the store as the writer sees it).
 */
async function setup(view?: (store: Store) => Pick<Store, "get">) {
  const env = await startStatusEnv({
    objects: [gatewayClass(), gatewayClass("theirs", OTHER), inClass("serval"), listenerSet()],
    storeView: view,
  });
  return Object.assign(env, {
    gateway: () => env.status("Gateway", "gw"),
    /** PATCHes of `gw`'s status the fake answered with `code`. */
    patches: (code = 200) => env.patched(code).filter((p) => p.endsWith("/gw/status")).length,
    /** Waits until the store holds the fake's `gw` and `ls`. */
    caughtUpAll: () => env.caughtUp(["Gateway", "gw"], ["ListenerSet", "ls"]),
    /**
     * Moves `gw` to the other class, whose controller then writes its status
     * before our rebuild: the writer still wants the old status, and the
     * store tells it of their write as a status change.
     */
    async theyTakeOver() {
      env.kube.apply(inClass("theirs"));
      await env.caughtUp(["Gateway", "gw"]);
      env.kube.apply(inClass("theirs", THEIRS));
      await env.caughtUp(["Gateway", "gw"]);
      await env.writer.idle();
    },
  });
}

const PENDING = ["Accepted=Unknown/Pending", "Programmed=Unknown/Pending"];

Deno.test("a Gateway moved to another controller's class is reset once, with its ListenerSet", async () => {
  await using env = await setup();
  await env.reconcile();
  assertEquals(conditionsOf(env.gateway()).slice(0, 2), [
    "Accepted=True/Accepted",
    "Programmed=True/Programmed",
  ]);
  assertEquals(conditionsOf(env.status("ListenerSet", "ls"))[0], "Accepted=True/Accepted");
  await env.caughtUpAll();
  const before = env.patches();

  env.kube.apply(inClass("theirs"));
  await env.caughtUpAll();
  await env.reconcile();
  const reset = env.gateway();
  assertEquals(conditionsOf(reset), PENDING);
  // Listeners and addresses go: nothing of ours stays for the new owner to read as its own.
  assertEquals(Object.keys(reset ?? {}), ["conditions"]);
  assertEquals(conditionsOf(env.status("ListenerSet", "ls")), PENDING);
  assertEquals(env.patches(), before + 1);

  // Our reset coming back through the watch, and later results, write nothing more.
  await env.caughtUpAll();
  await env.reconcile();
  await env.reconcile();
  assertEquals(env.patches(), before + 1);
  assertEquals(env.gateway(), reset);
});

Deno.test("a Gateway whose class is deleted is reset once", async () => {
  await using env = await setup();
  await env.reconcile();
  await env.caughtUpAll();
  const before = env.patches();
  env.kube.remove(GW, "GatewayClass", undefined, "serval");
  await waitFor("the store sees the class go", async () => {
    await env.reconcile();
    return conditionsOf(env.gateway())[0] === "Accepted=Unknown/Pending";
  });
  await env.caughtUpAll();
  await env.reconcile();
  assertEquals(conditionsOf(env.gateway()), PENDING);
  assertEquals(env.patches(), before + 1);
});

Deno.test("when the new owner writes before our rebuild, nothing of ours is written over it", async () => {
  await using env = await setup();
  await env.reconcile();
  await env.caughtUpAll();
  const before = env.patches();

  await env.theyTakeOver();
  assertEquals(env.gateway(), THEIRS);
  await env.reconcile();
  assertEquals(env.gateway(), THEIRS);
  assertEquals(env.patches(), before);
});

Deno.test("when the new owner's write lands between our read and our write, ours is dropped", async () => {
  // The writer sees the Gateway as it was before the move (its watch lags).
  const seen: { gateway?: Obj } = {};
  await using env = await setup((store) => ({
    get: (kind, namespace, name) =>
      (kind === "Gateway" && seen.gateway
        ? seen.gateway
        : store.get(kind, namespace, name)) as never,
  }));
  await env.reconcile();
  await env.caughtUpAll();
  // A second listener: the next result wants a status other than ours now.
  const grown = inClass("serval");
  grown.spec.listeners = [...grown.spec.listeners, { name: "more", port: 8082, protocol: "HTTP" }];
  env.kube.apply(grown);
  await env.caughtUpAll();
  const stale = env.translateNow();
  seen.gateway = env.kube.get(GW, "Gateway", "default", "gw");
  const before = env.patches();

  // Their write lands first: ours meets a 409, and the Gateway read again
  // is another controller's.
  env.kube.apply(inClass("theirs", THEIRS));
  await env.caughtUpAll();
  await env.hand(stale);
  assertEquals(env.gateway(), THEIRS);
  assertEquals(env.patches(409), 1);
  // Taking ours back meets their status the same way.
  await env.reconcile();
  assertEquals(env.gateway(), THEIRS);
  assertEquals(env.patches(409), 2);
  assertEquals(env.patches(), before);
});

Deno.test("a Gateway moved away and back before a rebuild gets our status again", async () => {
  await using env = await setup();
  const first = env.translateNow();
  await env.hand(first);
  await env.caughtUpAll();
  await env.theyTakeOver();
  assertEquals(env.gateway(), THEIRS);
  env.kube.apply(inClass("serval"));
  await env.caughtUpAll();
  // The same result again: translate hands back the very same status objects.
  await env.hand({ ...first, statuses: first.statuses });
  assertEquals(conditionsOf(env.gateway()).slice(0, 2), [
    "Accepted=True/Accepted",
    "Programmed=True/Programmed",
  ]);
});
