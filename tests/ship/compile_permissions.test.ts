/**
 * The permissions baked into the binary: derived from the flag table, no
 * broader than listed, covering every variable the sources read, and enough
 * to serve traffic — proven by running `main.ts` with exactly that set.
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { type EchoReply, startEchoBackend } from "../../scripts/echo_backend.ts";
import { stageSources } from "../../scripts/compile.ts";
import {
  allowedEnvNames,
  DEFAULT_READ_PATHS,
  permissionFlags,
} from "../../scripts/compile_permissions.ts";
import { envName, FLAGS } from "../../src/cli/flag_table.ts";
import { LIBC_PATHS } from "../../src/dataplane/libc.ts";
import { SERVICE_ACCOUNT_DIR } from "../../src/kube/kubeconfig.ts";
import { freePort, runDeno } from "../_helpers/gateway_process.ts";
import { ROOT } from "./_deploy.ts";
import { narrowDenoCommand, oneRouteManifests, startShipped } from "./_shipped_process.ts";

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) out.push(...await sourceFiles(path));
    else if (entry.name.endsWith(".ts")) out.push(path);
  }
  return out;
}

/** Variable names the code reads: `Deno.env.get("X")`, `env("X")`, `env.X`, `env?.X`, `env["X"]`. */
const ENV_READ =
  /(?:Deno\.env\.get|\benv)\s*(?:\(\s*|\?\.\s*|\.\s*|\[\s*)["']?([A-Z][A-Z0-9_]+)\b/g;

Deno.test("the binary may read every SERVAL_* variable of the flag table", () => {
  const allowed = new Set(allowedEnvNames());
  for (const flag of FLAGS) assert(allowed.has(envName(flag.name)), envName(flag.name));
});

Deno.test("the binary may read every environment variable the sources read, and no other", async () => {
  const read = new Set<string>();
  for (const file of [`${ROOT}main.ts`, ...await sourceFiles(`${ROOT}src`)]) {
    for (const [, name] of (await Deno.readTextFile(file)).matchAll(ENV_READ)) read.add(name);
  }
  assert(read.has("KUBERNETES_SERVICE_HOST"), "the scan finds nothing: is ENV_READ stale?");
  const allowed = allowedEnvNames().filter((n) => !n.startsWith("SERVAL_"));
  assertEquals([...read].sort(), [...new Set(allowed)].sort());
});

Deno.test("the baked-in permissions are scoped: no -A, no unscoped read/env/sys/write/run/ffi, ffi only for libc", () => {
  const flags = permissionFlags();
  for (const flag of flags) {
    assert(!["-A", "--allow-all"].includes(flag), flag);
    for (const scoped of ["read", "env", "sys", "write", "run", "ffi"]) {
      assert(flag !== `--allow-${scoped}`, `${flag} is unscoped`);
    }
    assert(!/^--allow-(sys|write|run|import)/.test(flag), `${flag} is not needed`);
  }
  const ffi = flags.find((f) => f.startsWith("--allow-ffi="))!;
  assertEquals(ffi.slice("--allow-ffi=".length).split(","), [...LIBC_PATHS]);
  assert(flags.includes("--allow-net"));
  assert(flags.includes("--ignore-env"), "other variables must read as unset, not throw");
  const read = flags.find((f) => f.startsWith("--allow-read="))!;
  assertEquals(read.slice("--allow-read=".length).split(","), [...DEFAULT_READ_PATHS]);
  assert(DEFAULT_READ_PATHS.includes(SERVICE_ACCOUNT_DIR));
});

Deno.test("relative or comma-carrying read paths are refused", () => {
  for (const bad of ["examples", "/a,b"]) {
    let threw = false;
    try {
      permissionFlags({ readPaths: [bad] });
    } catch (error) {
      threw = error instanceof TypeError;
    }
    assert(threw, bad);
  }
});

Deno.test("with only the binary's permissions, the gateway serves a manifest directory", async () => {
  const dir = await Deno.makeTempDir({ prefix: "serval-ship-" });
  const backend = startEchoBackend({ name: "echo" });
  const port = freePort();
  try {
    await Deno.writeTextFile(`${dir}/all.yaml`, oneRouteManifests(port, "ship.test", backend.port));
    await using gw = await startShipped({
      command: narrowDenoCommand([dir]),
      args: ["--manifests", dir, "--drain-delay", "0s"],
    });
    using client = Deno.createHttpClient({ allowHost: true });
    const res = await fetch(`http://127.0.0.1:${port}/hello`, {
      headers: { host: "ship.test" },
      client,
    });
    assertEquals(res.status, 200, gw.logs());
    assertEquals(((await res.json()) as EchoReply).backend, "echo");
    const metrics = await fetch(`${gw.telemetryUrl}/metrics`);
    assertStringIncludes(await metrics.text(), "serval_");
    assertEquals((await gw.stop()).code, 0, gw.logs());
    assert(!gw.logs().includes("NotCapable"), gw.logs());
  } finally {
    await backend.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("with only the binary's permissions, a path outside the read scope is refused", async () => {
  const output = await new Deno.Command(narrowDenoCommand([])[0], {
    args: [...narrowDenoCommand([]).slice(1), "translate", `${ROOT}examples`],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  assertEquals(output.code, 2, stderr);
  assertStringIncludes(stderr, `Cannot read ${ROOT}examples`);
});

Deno.test("a staged build prints the embedded revision under the binary's permissions", async () => {
  const stage = await Deno.makeTempDir({ prefix: "serval-stage-" });
  try {
    await stageSources(stage, "0123456789ab-dirty");
    const { code, stdout, stderr } = await runDeno([
      "run",
      ...permissionFlags(),
      `${stage}/main.ts`,
      "version",
    ]);
    assertEquals(code, 0, stderr);
    assertStringIncludes(stdout, "revision 0123456789ab-dirty");
  } finally {
    await Deno.remove(stage, { recursive: true });
  }
});
