import { assertEquals } from "@std/assert";
import type { ObjectStatus, TranslateResult } from "../../src/model/config.ts";
import { withStatusTrail } from "../../src/model/status_changes.ts";
import { statusKey, WantedStatuses } from "../../src/status/wanted_statuses.ts";
import { result } from "./_status_results.ts";

const route = (name: string, generation = 1): ObjectStatus => ({
  kind: "HTTPRoute",
  namespace: "default",
  name,
  generation,
  status: { parents: [] },
});

function drain(wants: WantedStatuses): string[] {
  const keys = [...wants.dirty].sort();
  wants.dirty.clear();
  return keys;
}

/** A result carrying the changes since the result whose trail version is `since`. */
function changed(
  since: object,
  version: object,
  added: ObjectStatus[],
  removed: ObjectStatus[],
): TranslateResult {
  return withStatusTrail(result([]), { version, changes: { since, added, removed } });
}

Deno.test("a whole result wants its statuses; the next one dirties only the new objects and hands back the gone", () => {
  const wants = new WantedStatuses();
  const [a, b, c] = [route("a"), route("b"), route("c")];
  assertEquals(wants.take(result([a, b])), []);
  assertEquals(drain(wants), [statusKey(a), statusKey(b)]);
  const b2 = route("b", 2);
  assertEquals(wants.take(result([b2, c])), [a]);
  assertEquals(drain(wants), [statusKey(b), statusKey(c)]);
  assertEquals([wants.has(statusKey(a)), wants.get(statusKey(b)), wants.size], [false, b2, 2]);
});

Deno.test("a release stays wanted across results that do not report on its object, until forgotten", () => {
  const wants = new WantedStatuses();
  const [a, b] = [route("a"), route("b")];
  wants.take(result([a, b]));
  const gone = wants.take(result([b]));
  assertEquals(gone, [a]);
  const release = route("a", 9);
  wants.wantOther(statusKey(a), release);
  drain(wants);
  // A whole result without it, then one that says what changed: the release stays.
  const v1 = {};
  assertEquals(wants.take(withStatusTrail(result([b]), { version: v1 })), []);
  assertEquals(wants.take(changed(v1, {}, [], [a])), []);
  assertEquals(wants.get(statusKey(a)), release);
  assertEquals(drain(wants), []);
  wants.forgetOther(statusKey(a));
  assertEquals([wants.has(statusKey(a)), wants.size], [false, 1]);
  // Forgetting a key the result reports on changes nothing.
  wants.forgetOther(statusKey(b));
  assertEquals(wants.get(statusKey(b)), b);
});

Deno.test("a result reporting on a released object again wants its status, and later drops it as gone", () => {
  const wants = new WantedStatuses();
  const a = route("a");
  const v1 = {};
  wants.take(withStatusTrail(result([]), { version: v1 }));
  wants.wantOther(statusKey(a), route("a", 9));
  drain(wants);
  const v2 = {};
  assertEquals(wants.take(changed(v1, v2, [a], [])), []);
  assertEquals([drain(wants), wants.get(statusKey(a))], [[statusKey(a)], a]);
  // No longer a release: a result without it hands it back as gone.
  assertEquals(wants.take(changed(v2, {}, [], [a])), [a]);
  assertEquals(wants.size, 0);
});
