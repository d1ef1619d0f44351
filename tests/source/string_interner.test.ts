/**
 * Interning the strings of arriving objects changes no value: an interned
 * object equals the original, shared constants are left alone, and the table
 * stays bounded whatever arrives.
 */
import { assertEquals, assertThrows } from "@std/assert";
import { StringInterner } from "../../src/source/string_interner.ts";
import { internedValidator, validateKubeObject } from "../../src/source/kube_validate.ts";

const route = (name: string) => ({
  apiVersion: "gateway.networking.k8s.io/v1",
  kind: "HTTPRoute",
  metadata: { name, namespace: "default", uid: crypto.randomUUID(), resourceVersion: "7" },
  spec: {
    parentRefs: [{ name: "gw" }],
    hostnames: [`${name}.test`],
    rules: [{ backendRefs: [{ name: "svc", port: 80, weight: 1 }] }],
  },
  status: {
    parents: [{
      parentRef: { group: "gateway.networking.k8s.io", kind: "Gateway", name: "gw" },
      controllerName: "gateway.serval.dev/controller",
      conditions: [{ type: "Accepted", status: "True", reason: "Accepted", message: "ok" }],
    }],
  },
});

Deno.test("an interned object equals the object it was, strings, numbers and nesting alike", () => {
  const interner = new StringInterner();
  for (const name of ["a", "b", "a"]) {
    const original = route(name);
    const copy = JSON.parse(JSON.stringify(original));
    assertEquals(interner.internAll(copy), original);
  }
  assertEquals(interner.internAll("x"), "x");
  assertEquals(interner.internAll(5), 5);
  assertEquals(interner.internAll(null), null);
});

Deno.test("frozen objects are shared constants: left as they are, not written to", () => {
  const interner = new StringInterner();
  const shared = Object.freeze({ type: "PathPrefix", value: "/" });
  const object = { match: shared, list: Object.freeze(["a"]), own: ["b"] };
  assertEquals(interner.internAll(object), {
    match: { type: "PathPrefix", value: "/" },
    list: ["a"],
    own: ["b"],
  });
  assertThrows(() => (shared as { type: string }).type = "Exact");
});

Deno.test("the table starts again past its bound and keeps no long strings", () => {
  const interner = new StringInterner(100);
  for (let i = 0; i < 1_000; i++) interner.intern(`uid-${i}`);
  assertEquals(interner.size <= 100, true);
  const before = interner.size;
  interner.intern("x".repeat(200));
  assertEquals(interner.size, before);
});

Deno.test("the interned validator accepts and refuses exactly what the validator does", () => {
  const validate = internedValidator(validateKubeObject);
  const r1 = route("r1");
  assertEquals(validate(structuredClone(r1)), validateKubeObject(structuredClone(r1)));
  const bad = { ...route("r2"), spec: { parentRefs: "gw" } };
  assertEquals(validate(bad), validateKubeObject(bad));
});
