import { assertEquals } from "@std/assert";
import { createBackendPicker } from "../../src/dataplane/backend_picker.ts";
import type { RuleConfig } from "../../src/model/config.ts";
import { backend } from "./_config.ts";

function rule(weights: number[], invalidWeight = 0): RuleConfig {
  return {
    id: "r",
    filters: [],
    backends: weights.map((w, i) => backend(`b${i}`, [1000 + i], w)),
    invalidWeight,
  };
}

function counts(r: RuleConfig, n: number): Record<string, number> {
  const picker = createBackendPicker();
  const out: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const choice = picker.pickBackend(r);
    const key = choice === undefined ? "none" : choice === "invalid" ? "invalid" : choice.id;
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}

Deno.test("weights 3:1 give exactly 75% and 25% over whole rotations", () => {
  assertEquals(counts(rule([3, 1]), 400), {
    "service/default/b0:80": 300,
    "service/default/b1:80": 100,
  });
});

Deno.test("smooth weighted round-robin interleaves instead of bursting", () => {
  const picker = createBackendPicker();
  const r = rule([2, 1]);
  const order = Array.from({ length: 6 }, () => {
    const c = picker.pickBackend(r);
    return c === "invalid" || c === undefined ? "x" : c.id.slice(16, 18);
  });
  assertEquals(order, ["b0", "b1", "b0", "b0", "b1", "b0"]);
});

Deno.test("the weight of invalid backendRefs is a share of 500s", () => {
  assertEquals(counts(rule([1], 1), 100), { "service/default/b0:80": 50, invalid: 50 });
  assertEquals(counts(rule([], 2), 10), { invalid: 10 });
});

Deno.test("a rule without backends has no choice", () => {
  assertEquals(counts(rule([]), 3), { none: 3 });
});

Deno.test("endpoints of a backend are used in turn", () => {
  const picker = createBackendPicker();
  const b = backend("b", [1, 2, 3]);
  const ports = Array.from({ length: 6 }, () => picker.pickEndpoint(b)!.port);
  assertEquals(ports, [1, 2, 3, 1, 2, 3]);
  assertEquals(picker.pickEndpoint(backend("empty", [])), undefined);
});
