/**
 * The build tasks' flags (`deno task bundle`, `deno task compile`), run as
 * the tasks run them: a flag they do not know, or one without its value, is
 * a usage error (exit code 2, the message and the usage on stderr, no
 * stack), and `--help` prints the usage and builds nothing.
 */
import { assertEquals, assertStringIncludes } from "@std/assert";
import { runDeno } from "../_helpers/gateway_process.ts";
import { ROOT } from "./_deploy.ts";

function runTask(script: string, args: string[]) {
  const permissions = ["--allow-read", "--allow-write", "--allow-env", "--allow-run"];
  return runDeno(["run", ...permissions, script, ...args], { cwd: ROOT });
}

for (const task of ["bundle", "compile"]) {
  const script = `scripts/${task}.ts`;

  Deno.test(`deno task ${task}: an unknown flag and a flag without its value are usage errors`, async () => {
    for (const args of [["--bogus"], [task === "bundle" ? "--out-dir" : "--output"]]) {
      const { code, stdout, stderr } = await runTask(script, args);
      assertEquals(code, 2, stderr);
      assertStringIncludes(stderr, args[0]);
      assertStringIncludes(stderr, `usage: deno task ${task}`);
      assertEquals(stderr.includes("Uncaught"), false, stderr);
      assertEquals(stdout, "");
    }
  });

  Deno.test(`deno task ${task} --help prints its usage and builds nothing`, async () => {
    const { code, stdout, stderr } = await runTask(script, ["--help"]);
    assertEquals(code, 0, stderr);
    assertStringIncludes(stdout, `usage: deno task ${task}`);
    assertEquals(stderr, "");
  });
}
