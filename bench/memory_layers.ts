/**
 * Bytes per route of each layer of the pipeline, in one process: the objects
 * of `bench/scale.ts`'s world arrive as the API server sends them (JSON text,
 * parsed, validated, stored), are translated through the memo the gateway
 * uses and compiled into the route table; then each route's status comes
 * back from the API server as our status writer wrote it, and `--changes`
 * routes are rewritten (each one translate and compile). After each step a
 * full GC and the V8 heap used; the difference is what that layer holds.
 * The status writer, metrics and sockets are not here: `bench/memory.ts`
 * measures the whole process.
 *
 * ```sh
 * deno run -A --v8-flags=--expose-gc bench/memory_layers.ts [--routes 5000] [--changes 1000]
 * ```
 * @module
 */
// deno-lint-ignore-file no-console
import { flag } from "./_flags.ts";
import { createStore } from "../src/source/store.ts";
import { internedValidator, validateKubeObject } from "../src/source/kube_validate.ts";
import { translate } from "../src/translate/translate.ts";
import { TranslateMemo } from "../src/translate/translate_memo.ts";
import { createRouteTableCompiler } from "../src/router/compile_route_table.ts";
import { mergeStatus } from "../src/status/status_merge.ts";
import type { GatewayResource } from "../src/resources/types.ts";
import type { TranslateResult } from "../src/model/config.ts";
import type { RouteTable } from "../src/router/router.ts";
import {
  endpointSlice,
  gateway,
  gatewayClass,
  httpRoute,
  namespace,
  service,
} from "../tests/fake_kube/fake_kube_fixtures.ts";

const CONTROLLER = "gateway.serval.dev/controller";
const gc = (globalThis as { gc?: () => void }).gc;

/** Heap used after a full GC, bytes. */
function heapUsed(): number {
  if (gc === undefined) throw new Error("Cannot force a GC: run with --v8-flags=--expose-gc");
  gc();
  gc();
  return Deno.memoryUsage().heapUsed;
}

let resourceVersion = 1000;

/** `object` as the API server sends it: server-set metadata, through JSON text. */
function fromWire(object: Record<string, unknown>, status?: unknown): Record<string, unknown> {
  const meta = object.metadata as Record<string, unknown>;
  const wire = {
    ...object,
    metadata: {
      ...meta,
      uid: crypto.randomUUID(),
      resourceVersion: String(resourceVersion++),
      generation: 1,
      creationTimestamp: "2026-11-30T12:00:00Z",
    },
    ...(status === undefined ? {} : { status }),
  };
  return JSON.parse(JSON.stringify(wire));
}

// As the Kubernetes source validates: one table of interned strings for every kind.
const validate = internedValidator(validateKubeObject);

function accept(raw: Record<string, unknown>): GatewayResource {
  const outcome = validate(raw);
  if (!outcome.ok) throw new Error(`Cannot validate: ${JSON.stringify(outcome.problems)}`);
  return outcome.object;
}

/** Measures each layer; returns MiB per step. */
export async function measureLayers(
  routes: number,
  changes: number,
  snapshotPath?: string,
): Promise<[string, number][]> {
  const steps: [string, number][] = [];
  let last = heapUsed();
  const step = async (name: string) => {
    // Timers armed by the store's holdoff hold it (and what it reaches) until they run.
    await new Promise((resolve) => setTimeout(resolve, 5));
    const now = heapUsed();
    steps.push([name, now - last]);
    last = now;
  };
  let store = createStore();
  const route = (i: number, host: string) => httpRoute(`r-${i}`, { host, backend: "svc" });
  for (
    const o of [namespace("default"), gatewayClass(), gateway("gw", 8080), service("svc")]
  ) store.upsert(accept(fromWire(o)));
  store.upsert(accept(fromWire(endpointSlice("svc", ["127.0.0.1"], 9000))));
  for (let i = 0; i < routes; i++) store.upsert(accept(fromWire(route(i, `r-${i}.test`))));
  await step("store (validated objects)");

  let memo: TranslateMemo | undefined = new TranslateMemo();
  let compile: ((c: TranslateResult["config"]) => RouteTable) | undefined =
    createRouteTableCompiler();
  const options = { controllerName: CONTROLLER, now: "2026-11-30T12:00:00Z" };
  let result: TranslateResult | undefined = translate(store.snapshot(), options, memo);
  await step("translate: memo + result");
  let table: RouteTable | undefined = compile(result.config);
  await step("compiled route table");

  // Each route's status comes back as the status writer wrote it.
  for (const s of result.statuses) {
    if (s.kind !== "HTTPRoute") continue;
    const i = Number(s.name.slice(2));
    const status = mergeStatus(s, undefined, CONTROLLER, "2026-11-30T12:00:01Z");
    store.upsert(accept(fromWire(route(i, `r-${i}.test`), status)));
  }
  await step("route statuses stored");
  result = translate(store.snapshot(), options, memo);
  table = compile(result.config);
  await step("translate + compile again");

  let done = 0;
  for (const upTo of [1, 10, Math.floor(changes / 2), changes]) {
    for (; done < upTo; done++) {
      store.upsert(accept(fromWire(route(done % routes, `moved-${done}.test`))));
      result = translate(store.snapshot(), options, memo);
      table = compile(result.config);
    }
    await step(`after ${upTo} changes`);
  }
  if (snapshotPath !== undefined) {
    const v8 = await import("node:v8");
    // Named, so the snapshot's reader finds each layer's root.
    (globalThis as Record<string, unknown>).memoryLayers = { store, memo, result, table, compile };
    v8.writeHeapSnapshot(snapshotPath);
    delete (globalThis as Record<string, unknown>).memoryLayers;
  }
  // What each layer holds alone, dropped from the last to the first.
  table = compile = undefined;
  await step("dropped: compiled table and its compiler");
  result = memo = undefined;
  await step("dropped: translate result and memo");
  store.close();
  store = createStore();
  await step("dropped: store");
  return steps.map(([name, bytes]) => [name, bytes / 1048576]);
}

if (import.meta.main) {
  const routes = Number(flag("routes", "5000"));
  const changes = Number(flag("changes", "1000"));
  const snapshot = Deno.args.includes("--snapshot") ? flag("snapshot", "") : undefined;
  const steps = await measureLayers(routes, changes, snapshot);
  console.log(`${routes} routes, ${changes} changes: heap used after a full GC, per step`);
  for (const [name, mib] of steps) {
    const perRoute = (mib * 1048576 / routes).toFixed(0);
    console.log(`  ${name.padEnd(28)} ${mib.toFixed(2).padStart(7)} MiB  ${perRoute} B/route`);
  }
}
