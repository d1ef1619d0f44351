/**
 * Incremental translate over snapshots from a real store, whose lists say
 * what changed since the list before (`src/model/list_trail.ts`): every
 * golden scenario loaded into a store, then random changes applied to it
 * object by object, each snapshot translated with a memo and from scratch.
 * Each list's trail is checked against a walk of the two lists.
 */
import { assert, assertEquals } from "@std/assert";
import { translate } from "../../src/translate/translate.ts";
import { TranslateMemo } from "../../src/translate/translate_memo.ts";
import { walkChanges } from "../../src/translate/route_diff.ts";
import { listTrail } from "../../src/model/list_trail.ts";
import { createStore, type Store } from "../../src/source/store.ts";
import type { HTTPRoute } from "../../src/resources/http_route_types.ts";
import type { GatewayResource } from "../../src/resources/types.ts";
import type { Snapshot } from "../../src/model/snapshot.ts";
import type { TranslateResult } from "../../src/model/config.ts";
import { MUTATIONS } from "./_snapshot_mutations.ts";
import { DEPENDENCY_MUTATIONS } from "./_dependency_mutations.ts";
import { Prng } from "../fuzz/_prng.ts";
import { loadSnapshot } from "./load_snapshot.ts";

const TESTDATA = new URL("./testdata/", import.meta.url);
const ALL_MUTATIONS = { ...MUTATIONS, ...DEPENDENCY_MUTATIONS };
type Lists = Record<string, readonly GatewayResource[] | undefined>;

const keyOf = (o: GatewayResource) => `${o.metadata.namespace ?? ""}/${o.metadata.name}`;

/** Brings the store to `snapshot`, object by object, as a watch would. */
function sync(store: Store, snapshot: Snapshot): void {
  const lists = snapshot as unknown as Lists;
  const stored = store.snapshot() as unknown as Lists;
  for (const field of Object.keys(stored)) {
    const next = new Map((lists[field] ?? []).map((o) => [keyOf(o), o]));
    for (const old of stored[field] ?? []) {
      if (!next.has(keyOf(old))) store.delete(old.kind, old.metadata.namespace, old.metadata.name);
    }
    for (const object of next.values()) store.upsert(object);
  }
}

/** Each list's trail, where it leads from the list before, finds what a walk finds. */
function checkTrails(before: Snapshot, after: Snapshot): number {
  let checked = 0;
  const a = before as unknown as Lists;
  const b = after as unknown as Lists;
  for (const field of Object.keys(b)) {
    const trail = listTrail(b[field]!);
    if (trail === undefined || trail.since !== a[field]) continue;
    const walked = walkChanges(a[field]!, [...b[field]!], Infinity)!;
    const sorted = (list: readonly GatewayResource[]) => new Set(list);
    assertEquals(sorted(trail.gone), sorted(walked.gone), `${field}: gone`);
    assertEquals(sorted(trail.upserts), sorted(walked.upserts), `${field}: upserts`);
    checked++;
  }
  return checked;
}

function comparable(result: TranslateResult) {
  return { ...result, problems: result.problems.map((p) => JSON.stringify(p)).sort() };
}

Deno.test("incremental translate of a store's snapshots equals translate from scratch, and each list's trail what a walk finds", () => {
  const scenarios = [...Deno.readDirSync(TESTDATA)].map((e) => e.name)
    .filter((name) => name.endsWith(".in.yaml")).sort();
  let trails = 0;
  scenarios.forEach((file, index) => {
    const { snapshot, options } = loadSnapshot(
      Deno.readTextFileSync(new URL(file, TESTDATA)),
      (path) => Deno.readTextFileSync(new URL(path, TESTDATA)),
    );
    const rng = new Prng(7000 + index);
    const store = createStore();
    const memo = new TranslateMemo();
    const removed: HTTPRoute[] = [];
    const names = Object.keys(ALL_MUTATIONS);
    let current = snapshot;
    sync(store, current);
    let last = store.snapshot();
    for (let step = 0; step < 25; step++) {
      const incremental = translate(last, options, memo);
      const scratch = translate(last, options);
      assertEquals(comparable(incremental), comparable(scratch), `${file}, step ${step}`);
      const next = ALL_MUTATIONS[rng.pick(names)](current, rng, removed);
      if (next === undefined) continue;
      current = next;
      sync(store, current);
      const taken = store.snapshot();
      trails += checkTrails(last, taken);
      last = taken;
    }
    store.close();
  });
  assert(trails > scenarios.length * 2, `only ${trails} lists came with a trail`);
});
