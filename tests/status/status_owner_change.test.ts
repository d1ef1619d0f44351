/**
 * A Gateway that stops being ours while the gateway runs: moved to another
 * controller's class, or its class deleted. Its status names no controller,
 * so what we wrote is taken back (reset to the API server's default for a
 * new Gateway) exactly once, and never over a status the new owner wrote:
 * not when its write comes before our rebuild, nor when it lands between
 * our read and our write.
 */
import { assertEquals } from "@std/assert";
import { silentLogger } from "../../src/log/logger.ts";
import type { TranslateResult } from "../../src/model/config.ts";
import { createKubeSource } from "../../src/source/kube.ts";
import { createStore, type Store } from "../../src/source/store.ts";
import { createStatusWriter } from "../../src/status/status_writer.ts";
import { translate } from "../../src/translate/translate.ts";
import { startFakeKube } from "../fake_kube/fake_kube_server.ts";
import {
  clientFor,
  CONTROLLER,
  gateway,
  gatewayClass,
  waitFor,
} from "../fake_kube/fake_kube_fixtures.ts";

const GW = "gateway.networking.k8s.io/v1";
const OTHER = "example.com/other";
type Obj = Record<string, unknown>;
type Conditions = { type: string; status: string; reason: string }[];

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

const listenerSet = {
  apiVersion: GW,
  kind: "ListenerSet",
  metadata: { name: "ls", namespace: "default" },
  spec: { parentRef: { name: "gw" }, listeners: [{ name: "extra", port: 8081, protocol: "HTTP" }] },
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
 * Our class and another controller's, `gw` in ours with a ListenerSet; the
 * kube source, a writer over `lag(store)` (the store as the writer sees it),
 * and translate between them.
 */
async function setup(lag: (store: Store) => Pick<Store, "get"> = (store) => store) {
  const kube = await startFakeKube();
  kube.apply(gatewayClass());
  kube.apply(gatewayClass("theirs", OTHER));
  kube.apply(inClass("serval"));
  kube.apply(listenerSet);
  const client = await clientFor(kube);
  const source = createKubeSource({ client, store: createStore(), logger: silentLogger });
  await source.start();
  const seen = lag(source.store);
  const writer = createStatusWriter({
    client,
    store: seen === source.store ? source.store : { ...seen, onQuietChange: undefined },
    controllerName: CONTROLLER,
    logger: silentLogger,
  });
  const status = (kind = "Gateway", name = "gw") =>
    kube.get(GW, kind, "default", name)?.status as Obj | undefined;
  /** PATCHes of `gw`'s status the fake answered with `code`. */
  const patches = (code = 200) =>
    kube.requests.filter((r) =>
      r.method === "PATCH" && r.path.endsWith("/gateways/gw/status") && r.status === code
    ).length;
  const translateNow = () => translate(source.store.snapshot(), { controllerName: CONTROLLER });
  /** Hands `result` to the writer and waits for it. */
  const hand = async (result: TranslateResult) => {
    writer.update(result);
    await writer.idle();
  };
  return {
    kube,
    status,
    patches,
    translateNow,
    hand,
    /** Translates what the store holds now and waits for the writer. */
    reconcile: () => hand(translateNow()),
    idle: () => writer.idle(),
    /** Waits until the store holds the fake's version of `gw` (and of `ls`). */
    caughtUp() {
      return waitFor("the store caught up", () =>
        ["Gateway/gw", "ListenerSet/ls"].every((at) => {
          const [kind, name] = at.split("/");
          const version = kube.get(GW, kind, "default", name)?.metadata.resourceVersion;
          return source.store.get(kind as "Gateway", "default", name)?.metadata
            .resourceVersion === version;
        }));
    },
    async [Symbol.asyncDispose]() {
      await writer.stop();
      await source.stop();
      client.close();
      await kube.close();
    },
  };
}

const conditions = (status: Obj | undefined) =>
  ((status?.conditions ?? []) as Conditions).map((c) => `${c.type}=${c.status}/${c.reason}`);
const PENDING = ["Accepted=Unknown/Pending", "Programmed=Unknown/Pending"];

Deno.test("a Gateway moved to another controller's class is reset once, with its ListenerSet", async () => {
  await using env = await setup();
  await env.reconcile();
  assertEquals(conditions(env.status()).slice(0, 2), [
    "Accepted=True/Accepted",
    "Programmed=True/Programmed",
  ]);
  assertEquals(conditions(env.status("ListenerSet", "ls"))[0], "Accepted=True/Accepted");
  await env.caughtUp();
  const before = env.patches();

  env.kube.apply(inClass("theirs"));
  await env.caughtUp();
  await env.reconcile();
  const reset = env.status();
  assertEquals(conditions(reset), PENDING);
  // Listeners and addresses go: nothing of ours stays for the new owner to read as its own.
  assertEquals(Object.keys(reset ?? {}), ["conditions"]);
  assertEquals(conditions(env.status("ListenerSet", "ls")), PENDING);
  assertEquals(env.patches(), before + 1);

  // Our reset coming back through the watch, and later results, write nothing more.
  await env.caughtUp();
  await env.reconcile();
  await env.reconcile();
  assertEquals(env.patches(), before + 1);
  assertEquals(env.status(), reset);
});

Deno.test("a Gateway whose class is deleted is reset once", async () => {
  await using env = await setup();
  await env.reconcile();
  await env.caughtUp();
  const before = env.patches();
  env.kube.remove(GW, "GatewayClass", undefined, "serval");
  await waitFor("the store sees the class go", async () => {
    await env.reconcile();
    return conditions(env.status())[0] === "Accepted=Unknown/Pending";
  });
  await env.caughtUp();
  await env.reconcile();
  assertEquals(conditions(env.status()), PENDING);
  assertEquals(env.patches(), before + 1);
});

Deno.test("when the new owner writes before our rebuild, nothing of ours is written over it", async () => {
  await using env = await setup();
  await env.reconcile();
  await env.caughtUp();
  const before = env.patches();

  // The class moves, and its controller writes while our rebuild waits for
  // its holdoff: the writer still wants the old status, and the store tells
  // it of their write as a status change.
  env.kube.apply(inClass("theirs"));
  await env.caughtUp();
  env.kube.apply(inClass("theirs", THEIRS));
  await env.caughtUp();
  await env.idle();
  assertEquals(env.status(), THEIRS);
  await env.reconcile();
  assertEquals(env.status(), THEIRS);
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
  await env.caughtUp();
  // A second listener: the next result wants a status other than ours now.
  const grown = inClass("serval");
  grown.spec.listeners = [...grown.spec.listeners, { name: "more", port: 8082, protocol: "HTTP" }];
  env.kube.apply(grown);
  await env.caughtUp();
  const stale = env.translateNow();
  seen.gateway = env.kube.get(GW, "Gateway", "default", "gw");
  const before = env.patches();

  // Their write lands first: ours meets a 409, and the Gateway read again
  // is another controller's.
  env.kube.apply(inClass("theirs", THEIRS));
  await env.caughtUp();
  await env.hand(stale);
  assertEquals(env.status(), THEIRS);
  assertEquals(env.patches(409), 1);
  // Taking ours back meets their status the same way.
  await env.reconcile();
  assertEquals(env.status(), THEIRS);
  assertEquals(env.patches(409), 2);
  assertEquals(env.patches(), before);
});

Deno.test("a Gateway moved away and back before a rebuild gets our status again", async () => {
  await using env = await setup();
  const first = env.translateNow();
  await env.hand(first);
  await env.caughtUp();
  env.kube.apply(inClass("theirs"));
  await env.caughtUp();
  env.kube.apply(inClass("theirs", THEIRS));
  await env.caughtUp();
  await env.idle();
  assertEquals(env.status(), THEIRS);
  env.kube.apply(inClass("serval"));
  await env.caughtUp();
  // The same result again: translate hands back the very same status objects.
  await env.hand({ ...first, statuses: first.statuses });
  assertEquals(conditions(env.status()).slice(0, 2), [
    "Accepted=True/Accepted",
    "Programmed=True/Programmed",
  ]);
});
