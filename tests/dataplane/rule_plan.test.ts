import { assertEquals, assertStrictEquals } from "@std/assert";
import { compileRulePlan, effectiveTimeout, RulePlans } from "../../src/dataplane/rule_plan.ts";
import type { BackendConfig, HeaderModifierConfig, RuleConfig } from "../../src/model/config.ts";

const set = (name: string): HeaderModifierConfig => ({
  set: [{ name, value: "1" }],
  add: [],
  remove: [],
});

function backend(filters: BackendConfig["filters"] = []): BackendConfig {
  return { id: "service/ns/b:80", weight: 1, protocol: "http", endpoints: [], filters };
}

Deno.test("a rule's timeout is the smaller positive of request and backendRequest, 0 when all are 0", () => {
  assertEquals(effectiveTimeout(undefined, 60_000), 60_000);
  assertEquals(effectiveTimeout({}, 60_000), 60_000);
  assertEquals(effectiveTimeout({ request: 5_000 }, 60_000), 5_000);
  assertEquals(effectiveTimeout({ request: 5_000, backendRequest: 2_000 }, 60_000), 2_000);
  assertEquals(effectiveTimeout({ request: 0, backendRequest: 2_000 }, 60_000), 2_000);
  assertEquals(effectiveTimeout({ request: 0 }, 60_000), 0);
});

Deno.test("header modifiers are grouped by direction, the rule's before the backend's", () => {
  const rule: RuleConfig = {
    id: "r",
    filters: [
      { type: "RequestHeaderModifier", modifier: set("req-1") },
      { type: "ResponseHeaderModifier", modifier: set("res-1") },
      { type: "URLRewrite", hostname: "a.example" },
      { type: "URLRewrite", path: { type: "ReplaceFullPath", value: "/x" } },
    ],
    backends: [],
    invalidWeight: 0,
  };
  const plan = compileRulePlan(rule, 1_000);
  assertEquals(plan.redirect, undefined);
  assertEquals(plan.rewriteHost, "a.example");
  assertEquals(plan.rewritePath, { type: "ReplaceFullPath", value: "/x" });
  const b = backend([{ type: "RequestHeaderModifier", modifier: set("req-b") }]);
  assertEquals(plan.modifiersFor(b), {
    request: [set("req-1"), set("req-b")],
    response: [set("res-1")],
  });
  assertStrictEquals(plan.modifiersFor(b), plan.modifiersFor(b), "built once per backend");
});

Deno.test("a redirect keeps only the response modifiers written before it; later filters never run", () => {
  const plan = compileRulePlan({
    id: "r",
    filters: [
      { type: "ResponseHeaderModifier", modifier: set("before") },
      { type: "RequestRedirect", statusCode: 302, hostname: "b.example" },
      { type: "ResponseHeaderModifier", modifier: set("after") },
    ],
    backends: [],
    invalidWeight: 0,
  }, 1_000);
  assertEquals(plan.redirect?.filter.hostname, "b.example");
  assertEquals(plan.redirect?.responseModifiers, [set("before")]);
});

Deno.test("a plan is compiled once per rule of a table, and afresh for a new table's rule", () => {
  const plans = new RulePlans(1_000);
  const rule: RuleConfig = { id: "r", filters: [], backends: [], invalidWeight: 0 };
  assertStrictEquals(plans.planFor(rule), plans.planFor(rule));
  const next = { ...rule, timeouts: { request: 10 } };
  assertEquals(plans.planFor(next).timeoutMs, 10);
});

Deno.test("backends without filters of their own share the rule's modifiers; one with filters gets its own", () => {
  const rule: RuleConfig = {
    id: "r",
    filters: [{ type: "RequestHeaderModifier", modifier: set("req-1") }],
    backends: [],
    invalidWeight: 0,
  };
  const plan = compileRulePlan(rule, 1_000);
  const plainA = plan.modifiersFor(backend());
  assertEquals(plainA, { request: [set("req-1")], response: [] });
  assertStrictEquals(plan.modifiersFor(backend()), plainA, "one object for every plain backend");
  const own = backend([{ type: "ResponseHeaderModifier", modifier: set("res-b") }]);
  assertEquals(plan.modifiersFor(own), { request: [set("req-1")], response: [set("res-b")] });
  assertEquals(plainA, { request: [set("req-1")], response: [] }, "the shared one is untouched");
});

Deno.test("rules without filters, timeouts or retry share one plan, as if each had its own", () => {
  const plans = new RulePlans(30_000);
  const rule = (id: string, backends: BackendConfig[] = [backend()]): RuleConfig => ({
    id,
    filters: [],
    backends,
    invalidWeight: 0,
  });
  const a = rule("a");
  const withFilter = backend([{ type: "RequestHeaderModifier", modifier: set("req-b") }]);
  const b = rule("b", [withFilter]);
  assertStrictEquals(plans.planFor(a), plans.planFor(b));
  const own = compileRulePlan(b, 30_000);
  const shared = plans.planFor(b);
  for (const field of ["redirect", "rewriteHost", "rewritePath", "timeoutMs", "cors"] as const) {
    assertEquals(shared[field], own[field], field);
  }
  assertEquals(shared.mirrors, own.mirrors);
  assertEquals(shared.retry, own.retry);
  assertEquals(shared.modifiersFor(withFilter), own.modifiersFor(withFilter));
  assertEquals(shared.modifiersFor(a.backends[0]), { request: [], response: [] });
  assertStrictEquals(shared.modifiersFor(withFilter), shared.modifiersFor(withFilter));
  const timed = { ...rule("c"), timeouts: { request: 5_000 } };
  assertEquals(plans.planFor(timed).timeoutMs, 5_000, "a rule with a timeout has its own plan");
  assertStrictEquals(plans.planFor(timed), plans.planFor(timed));
});
