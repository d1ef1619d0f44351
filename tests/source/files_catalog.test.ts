import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { createManifestCatalog } from "../../src/source/files_catalog.ts";

const route = (name: string, path = "/") =>
  `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: ${name}
spec:
  rules:
  - matches:
    - path: { type: PathPrefix, value: "${path}" }
`;

const names = (catalog: ReturnType<typeof createManifestCatalog>) =>
  catalog.merge().objects.HTTPRoute.map((r) => `${r.metadata.namespace}/${r.metadata.name}`);

const pathOf = (catalog: ReturnType<typeof createManifestCatalog>, name: string) => {
  const r = catalog.merge().objects.HTTPRoute.find((o) => o.metadata.name === name);
  return r?.kind === "HTTPRoute" ? r.spec.rules?.[0].matches?.[0].path?.value : undefined;
};

Deno.test("namespaced objects without a namespace land in default", () => {
  const catalog = createManifestCatalog();
  catalog.update("a.yaml", route("web"));
  assertEquals(names(catalog), ["default/web"]);
});

Deno.test("unchanged text is not parsed again", () => {
  const catalog = createManifestCatalog();
  assert(catalog.update("a.yaml", route("web")).changed);
  assert(!catalog.update("a.yaml", route("web")).changed);
});

Deno.test("unknown kinds are ignored and listed for a debug log", () => {
  const catalog = createManifestCatalog();
  const update = catalog.update(
    "a.yaml",
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: d }\n",
  );
  assertEquals(update.ignored, [{
    file: "a.yaml",
    path: "doc[0]",
    kind: "Deployment",
    apiVersion: "apps/v1",
  }]);
  assertEquals(catalog.merge().problems, []);
});

Deno.test("an invalid document is a problem with file and field; the rest of the file loads", () => {
  const catalog = createManifestCatalog();
  catalog.update("a.yaml", `${route("one")}---\n${route("two", "nope")}---\n${route("three")}`);
  assertEquals(names(catalog), ["default/one", "default/three"]);
  const [problem] = catalog.merge().problems;
  assertEquals(problem.object, "file:a.yaml");
  assertEquals(problem.field, "doc[1].spec.rules[0].matches[0].path.value");
  assertStringIncludes(
    problem.message,
    'Cannot load HTTPRoute "default/two" (line 10): must start with "/"',
  );
});

Deno.test("a syntax error keeps the last good version of the whole file", () => {
  const catalog = createManifestCatalog();
  catalog.update("a.yaml", `${route("one", "/v1")}---\n${route("two")}`);
  catalog.update("a.yaml", `${route("one", "/v2")}---\nkind: [broken\n`);
  assertEquals(names(catalog), ["default/one", "default/two"]);
  assertEquals(pathOf(catalog, "one"), "/v1");
  const [problem] = catalog.merge().problems;
  assertEquals(problem.field, "doc[1]");
  assertStringIncludes(problem.message, "serving the last good version of this file");
  // Fixed: the new content is served and the problem is gone.
  catalog.update("a.yaml", route("one", "/v3"));
  assertEquals(names(catalog), ["default/one"]);
  assertEquals(pathOf(catalog, "one"), "/v3");
  assertEquals(catalog.merge().problems, []);
});

Deno.test("a syntax error in a file never loaded before still loads its good documents", () => {
  const catalog = createManifestCatalog();
  catalog.update("a.yaml", `${route("one")}---\nkind: [broken\n`);
  assertEquals(names(catalog), ["default/one"]);
  assertEquals(catalog.merge().problems.length, 1);
});

Deno.test("an object that becomes invalid keeps its last good version until fixed or removed", () => {
  const catalog = createManifestCatalog();
  catalog.update("a.yaml", `${route("one", "/v1")}---\n${route("two")}`);
  catalog.update("a.yaml", `${route("one", "bad")}---\n${route("two")}`);
  assertEquals(pathOf(catalog, "one"), "/v1");
  assertStringIncludes(catalog.merge().problems[0].message, "; serving the last good version");
  // Removed from the file: gone, along with its problem.
  catalog.update("a.yaml", route("two"));
  assertEquals(names(catalog), ["default/two"]);
  assertEquals(catalog.merge().problems, []);
});

Deno.test("an invalid document without a readable name keeps what was at its position", () => {
  const catalog = createManifestCatalog();
  catalog.update("a.yaml", route("one", "/v1"));
  catalog.update(
    "a.yaml",
    "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {}\nspec: {}\n",
  );
  assertEquals(pathOf(catalog, "one"), "/v1");
  assertEquals(catalog.merge().problems[0].field, "doc[0].metadata.name");
});

Deno.test("a new invalid object is not served at all", () => {
  const catalog = createManifestCatalog();
  catalog.update("a.yaml", route("one", "bad"));
  assertEquals(names(catalog), []);
  assertEquals(catalog.merge().problems.length, 1);
});

Deno.test("the same object in two files: the first path in sorted order wins", () => {
  const catalog = createManifestCatalog();
  catalog.update("b.yaml", route("web", "/from-b"));
  catalog.update("a.yaml", route("web", "/from-a"));
  assertEquals(pathOf(catalog, "web"), "/from-a");
  const [problem] = catalog.merge().problems;
  assertEquals(problem.object, "file:b.yaml");
  assertEquals(problem.field, "doc[0]");
  assertStringIncludes(problem.message, "already declared in a.yaml");
  // Deleting the winner lets the other declaration through.
  catalog.remove("a.yaml");
  assertEquals(pathOf(catalog, "web"), "/from-b");
  assertEquals(catalog.merge().problems, []);
});

Deno.test("the same object twice in one file: the first document wins", () => {
  const catalog = createManifestCatalog();
  catalog.update("a.yaml", `${route("web", "/first")}---\n${route("web", "/second")}`);
  assertEquals(pathOf(catalog, "web"), "/first");
  assertStringIncludes(
    catalog.merge().problems[0].message,
    "already declared at doc[0] of this file",
  );
});

Deno.test("a file that cannot be read keeps its objects; a deleted file removes them", () => {
  const catalog = createManifestCatalog();
  catalog.update("a.yaml", route("web"));
  catalog.readFailed("a.yaml", "Permission denied");
  assertEquals(names(catalog), ["default/web"]);
  assertStringIncludes(
    catalog.merge().problems[0].message,
    "Cannot read manifest file: Permission denied",
  );
  catalog.remove("a.yaml");
  assertEquals(names(catalog), []);
  assertEquals(catalog.merge().problems, []);
});

Deno.test("List items are validated and keyed like documents", () => {
  const catalog = createManifestCatalog();
  catalog.update(
    "l.yaml",
    "kind: List\nitems:\n- apiVersion: v1\n  kind: Namespace\n  metadata: { name: a }\n- apiVersion: v1\n  kind: Namespace\n  metadata: { name: B }\n",
  );
  assertEquals(catalog.merge().objects.Namespace.map((n) => n.metadata.name), ["a"]);
  assertEquals(catalog.merge().problems[0].field, "doc[0].items[1].metadata.name");
});
