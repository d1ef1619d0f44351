import { assertEquals, assertStringIncludes } from "@std/assert";
import { parseManifests } from "../../src/resources/manifests.ts";
import process from "node:process";

Deno.test("multi-document YAML yields one object per document with its line", () => {
  const text = [
    "# leading comment",
    "apiVersion: v1",
    "kind: Namespace",
    "metadata: { name: a }",
    "---",
    "---",
    "# only a comment",
    "---",
    "apiVersion: v1",
    "kind: Namespace",
    "metadata:",
    "  name: b",
    "",
  ].join("\n");
  const { documents, errors } = parseManifests(text, "ns.yaml");
  assertEquals(errors, []);
  assertEquals(documents, [
    {
      index: 0,
      line: 2,
      path: "doc[0]",
      value: { apiVersion: "v1", kind: "Namespace", metadata: { name: "a" } },
    },
    {
      index: 3,
      line: 9,
      path: "doc[3]",
      value: { apiVersion: "v1", kind: "Namespace", metadata: { name: "b" } },
    },
  ]);
});

Deno.test("a List document is split into its items with their lines", () => {
  const text = [
    "apiVersion: v1",
    "kind: List",
    "items:",
    "- apiVersion: v1",
    "  kind: Namespace",
    "  metadata: { name: a }",
    "- apiVersion: v1",
    "  kind: Namespace",
    "  metadata: { name: b }",
  ].join("\n");
  const { documents } = parseManifests(text, "list.yaml");
  assertEquals(documents.map((d) => [d.path, d.line, d.item]), [
    ["doc[0].items[0]", 4, 0],
    ["doc[0].items[1]", 7, 1],
  ]);
});

Deno.test("JSON files parse, including a List", () => {
  const json = JSON.stringify(
    { apiVersion: "v1", kind: "ServiceList", items: [{ kind: "Service" }] },
    null,
    2,
  );
  const { documents, errors } = parseManifests(json, "svc.json");
  assertEquals(errors, []);
  assertEquals(documents.map((d) => d.value), [{ kind: "Service" }]);
});

Deno.test("a syntax error names file, document and line, and spares other documents", () => {
  const text = ["kind: A", "---", "kind: B", "metadata:", "  name: [unclosed", "---", "kind: C"]
    .join("\n");
  const { documents, errors } = parseManifests(text, "bad.yaml");
  assertEquals(documents.map((d) => [d.index, (d.value as { kind: string }).kind]), [[0, "A"], [
    2,
    "C",
  ]]);
  assertEquals(errors, [{
    source: "bad.yaml",
    index: 1,
    line: 6,
    column: 1,
    message: "Flow sequence in block collection must be sufficiently indented and end with a ]",
  }]);
});

Deno.test("duplicate keys are a syntax error", () => {
  const { errors } = parseManifests("kind: A\nkind: B\n", "dup.yaml");
  assertEquals(errors.length, 1);
  assertEquals(errors[0].line, 2);
  assertStringIncludes(errors[0].message.toLowerCase(), "unique");
});

Deno.test("alias bombs are refused instead of expanded", () => {
  const lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
  for (let i = 1; i < 10; i++) {
    const prev = String.fromCharCode(96 + i);
    const cur = String.fromCharCode(97 + i);
    lines.push(`${cur}: &${cur} [${Array(10).fill(`*${prev}`).join(", ")}]`);
  }
  const { documents, errors } = parseManifests(lines.join("\n"), "bomb.yaml");
  assertEquals(documents, []);
  assertEquals(errors.length, 1);
});

Deno.test("empty and comment-only files yield nothing", () => {
  assertEquals(parseManifests("", "e.yaml"), { documents: [], errors: [] });
  assertEquals(parseManifests("# nothing\n", "e.yaml"), { documents: [], errors: [] });
});

Deno.test("a map used as a key is read without a warning on stderr from the YAML library", () => {
  const warnings: unknown[] = [];
  const original = process.emitWarning;
  process.emitWarning =
    ((warning: unknown) => warnings.push(warning)) as typeof process.emitWarning;
  try {
    const { documents } = parseManifests("? {a: 1}\n: b\n", "odd.yaml");
    assertEquals(documents.length, 1);
  } finally {
    process.emitWarning = original;
  }
  assertEquals(warnings, []);
});
