/**
 * Seed scenarios covering every kind, with every odd `status` shape the translate fuzzer
 * knows on all of its objects at once: a new kind whose validator passes its
 * status through unread fails here at once, not only when the fuzzer's
 * draw happens to reach it.
 */
import { validateResource } from "../../src/resources/validate.ts";
import { compileRouteTable } from "../../src/router/compile_route_table.ts";
import { createStore } from "../../src/source/store.ts";
import { translate } from "../../src/translate/translate.ts";
import { WEIRD_STATUSES } from "./_object_mutators.ts";
import { loadScenarios, type Scenario } from "./translate_target.ts";

/** Scenarios that between them hold every kind the seeds have (one each is enough here). */
function coveringScenarios(): Scenario[] {
  const seen = new Set<unknown>();
  return loadScenarios().filter((scenario) => {
    const kinds = scenario.objects.map((o) => (o as { kind?: unknown }).kind);
    const adds = kinds.some((k) => !seen.has(k));
    for (const k of kinds) seen.add(k);
    return adds;
  });
}

/**
 * The objects, and beside every route a copy whose parents are no Gateway
 * of ours: its old status is read to decide whether to clear it.
 */
function withDetachedCopies(objects: readonly unknown[]): unknown[] {
  const out = [...objects];
  for (const o of objects) {
    const raw = o as { kind?: unknown; metadata?: { name?: unknown }; spec?: object };
    if (typeof raw.kind !== "string" || !raw.kind.endsWith("Route") || raw.spec === undefined) {
      continue;
    }
    out.push({
      ...raw,
      metadata: { ...raw.metadata, name: `${raw.metadata?.name}-detached` },
      spec: { ...raw.spec, parentRefs: [{ name: "no-such-gateway" }] },
    });
  }
  return out;
}

Deno.test("scenarios holding every kind translate with each odd status shape on every object", () => {
  const failures: string[] = [];
  for (const scenario of coveringScenarios()) {
    for (const status of WEIRD_STATUSES) {
      const store = createStore({ holdoffMs: 1_000_000 });
      try {
        for (const raw of withDetachedCopies(scenario.objects)) {
          const result = validateResource({ ...(raw as object), status: structuredClone(status) });
          if (result.ok) store.upsert(result.value);
        }
        compileRouteTable(translate(store.snapshot(), scenario.options).config);
      } catch (error) {
        failures.push(`${scenario.name} with status ${JSON.stringify(status)}: ${error}`);
      } finally {
        store.close();
      }
    }
  }
  if (failures.length > 0) throw new Error(failures.join("\n"));
});
