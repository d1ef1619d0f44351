/**
 * The status writer keeps a copy of what it wrote until the watch shows it,
 * so a second write does not go over a stale version. The watch can show the
 * write before the PATCH's answer arrives; the copy must not then be kept
 * for good (one status copy per object for the process's life). Here the
 * client's answer is held until the store has the write: that order, made
 * certain.
 */
import { assertEquals } from "@std/assert";
import type { KubeClient } from "../../src/kube/client.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { createKubeSource } from "../../src/source/kube.ts";
import { createStore } from "../../src/source/store.ts";
import { createStatusWriter } from "../../src/status/status_writer.ts";
import type { TranslateResult } from "../../src/model/config.ts";
import { ruleMapOf } from "../../src/model/rule_map.ts";
import { startFakeKube } from "../fake_kube/fake_kube_server.ts";
import { clientFor, gatewayClass, waitFor } from "../fake_kube/fake_kube_fixtures.ts";

const classResult = (status: "True" | "False"): TranslateResult => ({
  config: { ports: [], rules: ruleMapOf() },
  certificates: [],
  problems: [],
  statuses: [{
    kind: "GatewayClass",
    name: "serval",
    generation: 1,
    status: { conditions: [{ type: "Accepted", status, reason: "Accepted", message: "" }] },
  }],
});

Deno.test("a write the watch shows before its answer arrives is not remembered", async () => {
  const kube = await startFakeKube();
  kube.apply(gatewayClass());
  const client = await clientFor(kube);
  const source = createKubeSource({ client, store: createStore(), logger: silentLogger });
  await source.start();
  const storedVersion = () =>
    source.store.get("GatewayClass", undefined, "serval")?.metadata.resourceVersion;
  // Answers a PATCH only once the watch has brought its result to the store.
  const slowAnswers = new Proxy(client, {
    get(target, prop, receiver) {
      if (prop !== "json") return Reflect.get(target, prop, receiver);
      return async (method: string, ...rest: unknown[]) => {
        const json = target.json.bind(target) as (...args: unknown[]) => Promise<unknown>;
        const answer = await json(method, ...rest) as { metadata?: { resourceVersion?: string } };
        if (method === "PATCH") {
          const version = answer.metadata?.resourceVersion;
          await waitFor("the watch shows the write", () => storedVersion() === version);
        }
        return answer;
      };
    },
  }) as KubeClient;
  const writer = createStatusWriter({
    client: slowAnswers,
    store: source.store,
    controllerName: "gateway.serval.dev/controller",
    logger: silentLogger,
  });
  try {
    writer.update(classResult("True"));
    await writer.idle();
    assertEquals(writer.stats().writes, 1);
    assertEquals(writer.stats().remembered, 0);
    // And the next write goes over the store's copy without a conflict.
    writer.update(classResult("False"));
    await writer.idle();
    assertEquals(writer.stats().writes, 2);
    assertEquals(writer.stats().conflicts, 0);
  } finally {
    await writer.stop();
    await source.stop();
    client.close();
    await kube.close();
  }
});
