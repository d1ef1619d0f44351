/**
 * Lint-level checks of the `Dockerfile`: two stages, the build stage on the
 * pinned Deno running the compile task, the final stage distroless and
 * non-root with the binary as entrypoint, the telemetry port exposed, OCI
 * labels present, and a build context that holds what the build copies.
 */
import { assert, assertEquals, assertMatch } from "@std/assert";
import { parseCommandLine } from "../../src/cli/flags.ts";
import { gatewayOptionsFromFlags } from "../../src/cli/gateway_options_from_flags.ts";
import { DEFAULT_OUTPUT, STAGED_PATHS } from "../../scripts/compile.ts";
import { ROOT } from "./_deploy.ts";

interface Instruction {
  op: string;
  args: string;
}

/** Instructions per stage: comments dropped, `\` continuations joined. */
function parseDockerfile(text: string): Instruction[][] {
  const logical = text.replace(/\\\n/g, " ").split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
  const stages: Instruction[][] = [];
  for (const line of logical) {
    const [, op, args] = /^(\S+)\s*(.*)$/.exec(line)!;
    if (op.toUpperCase() === "FROM") stages.push([]);
    stages.at(-1)?.push({ op: op.toUpperCase(), args });
  }
  return stages;
}

const dockerfile = await Deno.readTextFile(`${ROOT}Dockerfile`);
const stages = parseDockerfile(dockerfile);
const [build, final] = stages;
const all = (stage: Instruction[], op: string) => stage.filter((i) => i.op === op);
const one = (stage: Instruction[], op: string) => {
  const found = all(stage, op);
  assertEquals(found.length, 1, `expected one ${op}`);
  return found[0].args;
};
const pinnedDeno = /DENO_VERSION="([\d.]+)"/.exec(await Deno.readTextFile(`${ROOT}.ci/run`))![1];
const denoJson = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));

Deno.test("the Dockerfile has two stages: build and run", () => {
  assertEquals(stages.length, 2);
  assertMatch(one(build, "FROM"), /\sAS build$/i);
});

Deno.test("the build stage uses the Deno version pinned in .ci/run and the README", async () => {
  const image = one(build, "FROM").split(/\s+/)[0];
  assertEquals(image, `denoland/deno:debian-${pinnedDeno}`);
  assertEquals(Deno.version.deno, pinnedDeno, "tests run on another Deno than the pinned one");
  const readme = await Deno.readTextFile(`${ROOT}README.md`);
  assert(readme.includes(`deno@${pinnedDeno}`), "README pins another Deno");
});

Deno.test("the build stage compiles with the compile task from the files it copies", () => {
  const runs = all(build, "RUN").map((i) => i.args);
  assert(runs.includes("deno task compile"), runs.join("; "));
  const copied = all(build, "COPY").flatMap((i) => i.args.split(/\s+/).slice(0, -1));
  for (const path of STAGED_PATHS) assert(copied.includes(path), `${path} is not copied`);
  assert(copied.includes("scripts"), "scripts/ is not copied");
});

Deno.test("the final stage is distroless nonroot with no shell commands", () => {
  assertEquals(one(final, "FROM"), "gcr.io/distroless/cc-debian12:nonroot");
  assertEquals(all(final, "RUN"), [], "distroless has no shell to RUN with");
  const user = one(final, "USER").split(":")[0];
  assert(user !== "0" && user !== "root", `USER ${user}`);
  assertMatch(user, /^(\d+|nonroot)$/);
});

Deno.test("the entrypoint is the compiled binary, copied from the build stage", () => {
  const copy = one(final, "COPY").split(/\s+/);
  assertEquals(copy[0], "--from=build");
  assertEquals(copy[1], `/src/${DEFAULT_OUTPUT}`);
  assertEquals(JSON.parse(one(final, "ENTRYPOINT")), [copy[2]]);
  assertEquals(JSON.parse(one(final, "CMD")), ["run"]);
});

Deno.test("the final stage exposes the default telemetry port", () => {
  const telemetry = gatewayOptionsFromFlags(parseCommandLine([], {}), {}).telemetryAddr;
  assertEquals(one(final, "EXPOSE"), String(telemetry?.port));
});

Deno.test("the image carries OCI labels, its version the one in deno.json", () => {
  const labels = Object.fromEntries(
    [...one(final, "LABEL").matchAll(/([\w.]+)="([^"]*)"/g)].map(([, k, v]) => [k, v]),
  );
  for (const key of ["title", "description", "version", "revision", "licenses"]) {
    assert(labels[`org.opencontainers.image.${key}`], `label ${key}`);
  }
  assertEquals(labels["org.opencontainers.image.version"], denoJson.version);
  assertEquals(labels["org.opencontainers.image.revision"], "${GIT_REVISION}");
});

Deno.test(".dockerignore keeps out build output but none of the files the build copies", async () => {
  const ignored = (await Deno.readTextFile(`${ROOT}.dockerignore`)).split("\n")
    .map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
  for (const path of ["dist", ".git", "node_modules"]) assert(ignored.includes(path), path);
  for (const path of [...STAGED_PATHS, "scripts"]) assert(!ignored.includes(path), path);
});
