/**
 * `version` names the build (version, git revision, Deno, V8, TypeScript) and
 * `--help` documents every flag of the flag table, with its placeholder,
 * default and environment variable, and no flag that does not exist.
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { type CliIo, runCli } from "../../src/cli/cli.ts";
import { BUILD_REVISION } from "../../src/cli/build_info_revision.ts";
import { envName, FLAGS } from "../../src/cli/flag_table.ts";
import { helpText } from "../../src/cli/help.ts";
import { VERSION, versionLine } from "../../src/cli/version.ts";

async function cli(args: string[]) {
  let stdout = "";
  const io: CliIo = { stdout: (t) => stdout += t, stderr: () => {} };
  const fail = () => Promise.reject(new Error("Cannot run a command here"));
  const code = await runCli(args, {}, { run: fail, translate: fail }, io);
  return { code, stdout };
}

Deno.test("version prints the version, git revision, and Deno, V8 and TypeScript versions", async () => {
  const { code, stdout } = await cli(["version"]);
  assertEquals(code, 0);
  assertEquals(stdout, versionLine() + "\n");
  for (
    const part of [
      `serval-k8s-gateway ${VERSION} `,
      `revision ${BUILD_REVISION}`,
      `deno ${Deno.version.deno}`,
      `v8 ${Deno.version.v8}`,
      `typescript ${Deno.version.typescript}`,
    ]
  ) {
    assertStringIncludes(stdout, part);
  }
});

Deno.test("a source checkout reports its revision as unknown", () => {
  assertEquals(BUILD_REVISION, "unknown", "the committed revision module must stay a placeholder");
});

Deno.test("--help documents every flag with its placeholder, default and variable", async () => {
  const { code, stdout } = await cli(["--help"]);
  assertEquals(code, 0);
  assertEquals(stdout, helpText() + "\n");
  for (const flag of FLAGS) {
    const head = `--${flag.name}${flag.placeholder ? ` ${flag.placeholder}` : ""}`;
    assertStringIncludes(stdout, head);
    assertStringIncludes(stdout, flag.help);
    assertStringIncludes(stdout, `env ${envName(flag.name)}`);
    if (flag.defaultText) assertStringIncludes(stdout, `default ${flag.defaultText}`);
  }
});

Deno.test("--help names no flag the parser does not know", async () => {
  const { stdout } = await cli(["-h"]);
  const known = new Set([
    "help",
    ...FLAGS.map((f) => f.name),
    ...FLAGS.filter((f) => f.type === "boolean").map((f) => `no-${f.name}`),
  ]);
  const named = [...stdout.matchAll(/(?<![\w-])--([a-z][a-z0-9-]*)/g)].map((m) => m[1]);
  assert(named.length >= FLAGS.length);
  for (const name of named) assert(known.has(name), `--${name}`);
});
