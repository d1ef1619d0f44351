/**
 * How the Kubernetes source lists a kind in pages: the next page is asked
 * for before the current one is validated, nothing reaches the store before
 * the last page, and a list that fails halfway keeps the objects the store had.
 */
import { assertEquals } from "@std/assert";
import { silentLogger } from "../../src/log/logger.ts";
import type { KubeClient } from "../../src/kube/client.ts";
import { createKubeSource } from "../../src/source/kube.ts";
import { validateKubeObject } from "../../src/source/kube_validate.ts";
import type { ObjectValidator } from "../../src/source/kube_objects.ts";
import { createStore } from "../../src/source/store.ts";
import { WATCHED_KINDS } from "../../src/kube/kinds.ts";
import { startFakeKube } from "../fake_kube/fake_kube_server.ts";
import { clientFor, service } from "../fake_kube/fake_kube_fixtures.ts";

const SERVICE_KIND = WATCHED_KINDS.filter((k) => k.kind === "Service");

/** Counts the list requests (`json` calls) the source made through `client`. */
function countingClient(client: KubeClient): { client: KubeClient; lists: () => number } {
  let lists = 0;
  return {
    client: {
      ...client,
      json: (method, path, options) => {
        lists++;
        return client.json(method, path, options);
      },
    },
    lists: () => lists,
  };
}

Deno.test("the next list page is requested before the objects of the current page are validated", async () => {
  await using kube = await startFakeKube();
  for (let i = 0; i < 5; i++) kube.apply(service(`svc-${i}`));
  const real = await clientFor(kube);
  const counting = countingClient(real);
  const requestsAtValidation = new Map<string, number>();
  const validate: ObjectValidator = (raw) => {
    const name = (raw as { metadata: { name: string } }).metadata.name;
    requestsAtValidation.set(name, counting.lists());
    return validateKubeObject(raw);
  };
  const source = createKubeSource({
    client: counting.client,
    store: createStore(),
    logger: silentLogger,
    kinds: SERVICE_KIND,
    validate,
    timing: { pageSize: 2 },
  });
  try {
    await source.start();
    assertEquals(source.store.list("Service").length, 5);
    // Pages: svc-0,1 | svc-2,3 | svc-4. Page n is validated once page n+1 was asked for.
    assertEquals(requestsAtValidation.get("svc-0"), 2);
    assertEquals(requestsAtValidation.get("svc-2"), 3);
    assertEquals(requestsAtValidation.get("svc-4"), 3);
  } finally {
    await source.stop();
    real.close();
  }
});

Deno.test("a list whose second page fails puts nothing in the store; the relist puts all of it", async () => {
  await using kube = await startFakeKube();
  for (let i = 0; i < 3; i++) kube.apply(service(`svc-${i}`));
  const real = await clientFor(kube);
  let requests = 0;
  const client: KubeClient = {
    ...real,
    json: (method, path, options) => {
      // The first list's second page fails; every later request goes through.
      if (++requests === 2) return Promise.reject(new Error("Cannot GET services: reset"));
      return real.json(method, path, options);
    },
  };
  const store = createStore();
  const replaced: number[] = [];
  const replaceKind = store.replaceKind.bind(store);
  store.replaceKind = (kind, objects) => {
    if (kind === "Service") replaced.push(objects.length);
    return replaceKind(kind, objects);
  };
  const source = createKubeSource({
    client,
    store,
    logger: silentLogger,
    kinds: SERVICE_KIND,
    timing: { pageSize: 2, backoff: { baseMs: 1, capMs: 1 } },
  });
  try {
    await source.start();
    assertEquals(replaced, [3]);
    assertEquals(store.list("Service").map((s) => s.metadata.name).sort(), [
      "svc-0",
      "svc-1",
      "svc-2",
    ]);
    assertEquals(requests, 4);
  } finally {
    await source.stop();
    real.close();
  }
});
