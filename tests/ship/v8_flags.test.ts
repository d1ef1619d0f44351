/**
 * The V8 heap settings travel with every way of running the gateway: the
 * `start` task sets them, the processes tests and benchmarks start read them
 * from there, and the compiled binary embeds the same.
 */
import { assert, assertEquals } from "@std/assert";
import { compileArgs } from "../../scripts/compile.ts";
import { startTaskEnv, startTaskFlags, startTaskV8Flags } from "../../scripts/start_task_flags.ts";
import { ROOT } from "./_deploy.ts";

async function rootWithStartTask(command: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "serval-v8-flags-" });
  await Deno.writeTextFile(`${dir}/deno.json`, JSON.stringify({ tasks: { start: command } }));
  return `${dir}/`;
}

Deno.test("the start task sets a semi-space size and a heap growing factor", () => {
  const flags = startTaskV8Flags(ROOT)?.split(",") ?? [];
  assert(flags.some((f) => f.startsWith("--max-semi-space-size=")), `got ${flags}`);
  assert(flags.some((f) => f.startsWith("--heap-growing-percent=")), `got ${flags}`);
});

Deno.test("the compiled binary embeds the start task's V8 flags", () => {
  const v8Flags = startTaskV8Flags(ROOT);
  const args = compileArgs({ output: "/tmp/out", entry: "/tmp/stage/main.ts", v8Flags });
  assertEquals(args.filter((a) => a.startsWith("--v8-flags=")), [`--v8-flags=${v8Flags}`]);
  // The gateway processes of the tests run with them too.
  assert(startTaskFlags(ROOT).includes(`--v8-flags=${v8Flags}`));
});

Deno.test("a start task without --v8-flags gives none, and the binary is compiled without", async () => {
  const root = await rootWithStartTask("deno run --allow-net main.ts run");
  assertEquals(startTaskV8Flags(root), undefined);
  const args = compileArgs({ output: "/tmp/out", entry: "/tmp/stage/main.ts" });
  assertEquals(args.filter((a) => a.startsWith("--v8-flags")), []);
});

Deno.test("--v8-flags is read from between run and main.ts only", async () => {
  const root = await rootWithStartTask(
    "deno run --v8-flags=--max-semi-space-size=4 --allow-net main.ts run --v8-flags=x",
  );
  assertEquals(startTaskV8Flags(root), "--max-semi-space-size=4");
});

Deno.test("the start task's environment is read from before deno, and flags still after run", async () => {
  const root = await rootWithStartTask(
    "MALLOC_ARENA_MAX=2 deno run --v8-flags=--max-semi-space-size=4 --allow-net main.ts run",
  );
  assertEquals(startTaskEnv(root), { MALLOC_ARENA_MAX: "2" });
  assertEquals(startTaskFlags(root), ["--v8-flags=--max-semi-space-size=4", "--allow-net"]);
  const plain = await rootWithStartTask("deno run --allow-net main.ts run");
  assertEquals(startTaskEnv(plain), {});
});

Deno.test("the container image sets the allocator environment the start task sets", async () => {
  const dockerfile = await Deno.readTextFile(`${ROOT}Dockerfile`);
  for (const [name, value] of Object.entries(startTaskEnv(ROOT))) {
    assert(
      new RegExp(`^ENV ${name}=${value}$`, "m").test(dockerfile),
      `the Dockerfile has no "ENV ${name}=${value}"`,
    );
  }
});
