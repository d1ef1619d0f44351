import { assertEquals } from "@std/assert";
import { importsOf, importViolations, readImportGraph } from "../scripts/import_layers.ts";

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
