import { assertEquals } from "@std/assert";
import { importsOf, importViolations, readImportGraph } from "../scripts/import_layers.ts";
import codeSize, { MAX_FILE_LINES, MAX_FUNCTION_LINES, SRC_DIR } from "../scripts/code_size.ts";

Deno.test("src/ imports point down the layers only, with no loops", async () => {
  const graph = await readImportGraph(new URL("../", import.meta.url));
  assertEquals(importViolations(graph), []);
});

Deno.test("an import from a lower layer to a higher one is reported", () => {
  const graph = new Map([
    ["src/source/store.ts", ["src/translate/translate.ts", "src/model/snapshot.ts"]],
    ["src/dataplane/listeners.ts", ["src/runtime/run_gateway.ts"]],
  ]);
  assertEquals(importViolations(graph), [
    "src/source/store.ts imports src/translate/translate.ts, a sibling layer",
    "src/dataplane/listeners.ts imports src/runtime/run_gateway.ts, which is a layer above",
  ]);
});

Deno.test("files that import each other in a loop are reported once", () => {
  const graph = new Map([
    ["src/translate/listener.ts", ["src/translate/listener_conflicts.ts"]],
    ["src/translate/listener_conflicts.ts", ["src/translate/listener.ts"]],
  ]);
  assertEquals(importViolations(graph), [
    "import cycle: src/translate/listener.ts -> src/translate/listener_conflicts.ts -> src/translate/listener.ts",
  ]);
});

Deno.test("a folder outside the layer order is reported", () => {
  assertEquals(importViolations(new Map([["src/extra/x.ts", []]])), [
    "src/extra/x.ts: its folder has no layer; add it to LAYERS in scripts/import_layers.ts",
  ]);
});

Deno.test("imports are read from code, not from JSDoc examples", () => {
  const text = [
    "/**",
    ' * import { x } from "../runtime/x.ts";',
    " */",
    'import type { A } from "./a.ts";',
    "import {",
    "  b,",
    '} from "../b.ts";',
    'export { c } from "./c.ts";',
    'const w = new URL("./worker.ts", import.meta.url);',
    'const d = await import("./d.ts");',
  ].join("\n");
  assertEquals(importsOf(text), ["./a.ts", "../b.ts", "./c.ts", "./worker.ts", "./d.ts"]);
});

Deno.test("the gate type-checks every @example in src/ (deno check --doc), and none is skipped", async () => {
  const denoJson = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));
  const check: string = denoJson.tasks.check;
  assertEquals(/deno check --doc main\.ts src\//.test(check), true, check);
  const skipped: string[] = [];
  const walk = async (dir: URL) => {
    for await (const entry of Deno.readDir(dir)) {
      const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
      if (entry.isDirectory) await walk(url);
      else if (entry.name.endsWith(".ts")) {
        const text = await Deno.readTextFile(url);
        if (/```ts(?:x)? +ignore/.test(text)) skipped.push(url.pathname);
      }
    }
  };
  await walk(new URL("../src/", import.meta.url));
  assertEquals(skipped, [], "examples marked ignore are never type-checked");
});

/** The code-size problems of `source` as a file of `src/` (or at `path`). */
function sizeProblems(source: string, path = `${SRC_DIR}dataplane/x.ts`): string[] {
  return Deno.lint.runPlugin(codeSize, path, source).map((d) => `${d.id}: ${d.message}`);
}

/** A function whose body holds `lines` lines of code. */
function functionOf(lines: number): string {
  return "export function f(): void {\n" + "  work();\n".repeat(lines - 2) + "}\n";
}

Deno.test("a function over 80 lines of code in src/ fails the lint; 80 passes", () => {
  assertEquals(MAX_FUNCTION_LINES, 80);
  assertEquals(sizeProblems(functionOf(80)), []);
  assertEquals(sizeProblems(functionOf(81)), [
    "code-size/function-lines: Function has 81 lines of code, over 80: split it into steps",
  ]);
});

Deno.test("blank lines and comment-only lines do not count toward a function's length", () => {
  const padded = functionOf(80).replace(
    "  work();\n",
    "  work();\n\n  // why\n  /* a block\n     comment */\n  work(); // trailing comments count as code\n",
  );
  assertEquals(sizeProblems(padded).length, 1, "the added call is the 81st line");
  const commentsOnly = functionOf(80).replace("  work();\n", "  work();\n\n  // why\n\n");
  assertEquals(sizeProblems(commentsOnly), []);
});

Deno.test("methods, arrow functions and nested functions are measured; the outer one counts the nested one's lines", () => {
  const body = "    work();\n".repeat(79);
  const method = `class A {\n  m(): void {\n${body}  }\n}\n`;
  assertEquals(sizeProblems(method).length, 1);
  const arrow = `export const g = () => {\n${body}};\n`;
  assertEquals(sizeProblems(arrow).length, 1);
  const half = "    work();\n".repeat(45);
  const nested = `export function outer(): void {\n  const a = () => {\n${half}  };\n` +
    `  const b = () => {\n${half}  };\n  a();\n  b();\n}\n`;
  assertEquals(sizeProblems(nested), [
    "code-size/function-lines: Function has 98 lines of code, over 80: split it into steps",
  ]);
});

Deno.test("a file over 400 lines in src/ fails the lint; 400 passes", () => {
  assertEquals(MAX_FILE_LINES, 400);
  assertEquals(sizeProblems("export const a = 1;\n".repeat(400)), []);
  assertEquals(sizeProblems("export const a = 1;\n".repeat(401)), [
    "code-size/file-lines: File has 401 lines, over 400: split it by concept",
  ]);
});

Deno.test("files outside src/ are not measured", () => {
  const long = functionOf(200) + "export const a = 1;\n".repeat(500);
  const tests = new URL("../tests/x.test.ts", import.meta.url).pathname;
  assertEquals(sizeProblems(long, tests), []);
});

Deno.test("the test task type-checks the very graph the check task does, so after the check it is a cache hit", async () => {
  const denoJson = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));
  const typeCheck = (task: string) => task.match(/deno check [^&]*/)?.[0].trim();
  const checked = typeCheck(denoJson.tasks.check);
  assertEquals(checked !== undefined, true, denoJson.tasks.check);
  assertEquals(typeCheck(denoJson.tasks.test), checked);
  assertEquals(/deno test --no-check /.test(denoJson.tasks.test), true, denoJson.tasks.test);
});

Deno.test("deno lint runs the code-size plugin, and every file of src/ passes it", async () => {
  const denoJson = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));
  assertEquals(denoJson.lint.plugins, ["./scripts/code_size.ts"]);
  assertEquals(denoJson.tasks.check.includes("deno lint"), true);
  const problems: string[] = [];
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(dir)) {
      const path = `${dir}${entry.name}`;
      if (entry.isDirectory) await walk(`${path}/`);
      else if (entry.name.endsWith(".ts")) {
        const found = sizeProblems(await Deno.readTextFile(path), path);
        problems.push(...found.map((p) => `${path.slice(SRC_DIR.length)}: ${p}`));
      }
    }
  };
  await walk(SRC_DIR);
  assertEquals(problems, []);
});
