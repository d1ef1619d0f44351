import { assertEquals } from "@std/assert";
import { matchesLabelSelector } from "../../src/translate/label_selector.ts";
import { isReferenceAllowed } from "../../src/translate/reference_grant.ts";
import type { ReferenceGrant } from "../../src/resources/policy_types.ts";

const labels = { team: "shop", env: "prod" };

Deno.test("matchLabels requires every label to be equal", () => {
  assertEquals(matchesLabelSelector(labels, { matchLabels: { team: "shop" } }), true);
  assertEquals(matchesLabelSelector(labels, { matchLabels: { team: "shop", env: "dev" } }), false);
  assertEquals(matchesLabelSelector(labels, {}), true);
});

Deno.test("matchExpressions In, NotIn, Exists and DoesNotExist", () => {
  const match = (
    operator: "In" | "NotIn" | "Exists" | "DoesNotExist",
    key: string,
    values?: string[],
  ) => matchesLabelSelector(labels, { matchExpressions: [{ key, operator, values }] });
  assertEquals(match("In", "env", ["prod", "staging"]), true);
  assertEquals(match("In", "env", ["dev"]), false);
  assertEquals(match("In", "missing", ["x"]), false);
  assertEquals(match("NotIn", "env", ["dev"]), true);
  assertEquals(match("NotIn", "env", ["prod"]), false);
  assertEquals(match("NotIn", "missing", ["x"]), true);
  assertEquals(match("Exists", "team"), true);
  assertEquals(match("Exists", "missing"), false);
  assertEquals(match("DoesNotExist", "missing"), true);
  assertEquals(match("DoesNotExist", "team"), false);
});

Deno.test("an unknown operator selects nothing", () => {
  assertEquals(
    matchesLabelSelector(labels, {
      matchExpressions: [{ key: "team", operator: "Matches" as "In", values: ["shop"] }],
    }),
    false,
  );
});

const grant: ReferenceGrant = {
  apiVersion: "gateway.networking.k8s.io/v1beta1",
  kind: "ReferenceGrant",
  metadata: { name: "g", namespace: "backend" },
  spec: {
    from: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute", namespace: "app" }],
    to: [{ group: "", kind: "Service", name: "web" }],
  },
};
const from = { group: "gateway.networking.k8s.io", kind: "HTTPRoute", namespace: "app" };
const to = { group: "", kind: "Service", namespace: "backend", name: "web" };

Deno.test("a ReferenceGrant in the target namespace allows the listed source and target", () => {
  assertEquals(isReferenceAllowed([grant], from, to), true);
  assertEquals(isReferenceAllowed([], from, to), false);
});

Deno.test("a ReferenceGrant does not allow other names, kinds, namespaces or a grant elsewhere", () => {
  assertEquals(isReferenceAllowed([grant], from, { ...to, name: "db" }), false);
  assertEquals(isReferenceAllowed([grant], { ...from, namespace: "other" }, to), false);
  assertEquals(isReferenceAllowed([grant], { ...from, kind: "Gateway" }, to), false);
  const elsewhere = { ...grant, metadata: { name: "g", namespace: "app" } };
  assertEquals(isReferenceAllowed([elsewhere], from, to), false);
});

Deno.test("same-namespace references need no grant", () => {
  assertEquals(isReferenceAllowed([], from, { ...to, namespace: "app" }), true);
});
