/**
 * `deno task compile` end to end: the binary it writes runs without Deno on
 * the PATH, prints its embedded revision, and routes a request from a
 * manifest directory. `deno compile` needs its `denort` runtime; where none
 * can be had without the network (no `DENORT_BIN`, nothing cached), the
 * end-to-end test is skipped with the reason printed, and only the runtime
 * lookup is tested.
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { type EchoReply, startEchoBackend } from "../../scripts/echo_backend.ts";
import { cachedRuntimePath, findDenoRuntime } from "../../scripts/deno_runtime.ts";
import { VERSION } from "../../src/cli/build_info.ts";
import { freePort } from "../_helpers/gateway_process.ts";
import { ROOT } from "./_deploy.ts";
import { oneRouteManifests, startShipped } from "./_shipped_process.ts";

const runtime = findDenoRuntime(Deno.env.toObject());
if (!runtime.found) {
  // deno-lint-ignore no-console
  console.log(
    `SKIP compiled-binary test: ${runtime.reason}. Set DENORT_BIN to a denort ${Deno.version.deno} binary to run it.`,
  );
}

Deno.test("the runtime lookup: DENORT_BIN wins, a missing file is named, the cache is found offline", async () => {
  const dir = await Deno.makeTempDir({ prefix: "serval-denort-" });
  try {
    const fake = `${dir}/denort`;
    await Deno.writeTextFile(fake, "");
    assertEquals(findDenoRuntime({ DENORT_BIN: fake }), {
      found: true,
      source: "DENORT_BIN",
      path: fake,
    });
    const missing = findDenoRuntime({ DENORT_BIN: `${dir}/nope` });
    assert(!missing.found && missing.reason.includes(`${dir}/nope`));
    const none = findDenoRuntime({ DENO_DIR: dir });
    assert(!none.found && none.reason.includes("DENORT_BIN is unset"));
    const cached = cachedRuntimePath({ DENO_DIR: dir })!;
    await Deno.mkdir(cached.slice(0, cached.lastIndexOf("/")), { recursive: true });
    await Deno.writeTextFile(cached, "");
    assertEquals(findDenoRuntime({ DENO_DIR: dir }), {
      found: true,
      source: "cache",
      path: cached,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "deno task compile builds a binary that runs without Deno and routes a request",
  ignore: !runtime.found,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "serval-compiled-" });
    const backend = startEchoBackend({ name: "echo" });
    try {
      const binary = `${dir}/serval-k8s-gateway`;
      const manifests = `${dir}/manifests`;
      await Deno.mkdir(manifests);
      const compiled = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--allow-read",
          "--allow-write",
          "--allow-env",
          "--allow-run",
          `${ROOT}scripts/compile.ts`,
          "--output",
          binary,
          "--read",
          manifests,
          "--revision",
          "compiled-test",
        ],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      assertEquals(compiled.code, 0, new TextDecoder().decode(compiled.stderr));

      const noDeno = { PATH: "/nonexistent" };
      const version = await new Deno.Command(binary, { args: ["version"], env: noDeno }).output();
      const line = new TextDecoder().decode(version.stdout);
      assertEquals(version.code, 0, new TextDecoder().decode(version.stderr));
      assertStringIncludes(line, `serval-k8s-gateway ${VERSION} (revision compiled-test,`);

      const port = freePort();
      await Deno.writeTextFile(
        `${manifests}/all.yaml`,
        oneRouteManifests(port, "compiled.test", backend.port),
      );
      await using gw = await startShipped({
        command: [binary],
        args: ["--manifests", manifests, "--drain-delay", "0s"],
        env: noDeno,
      });
      using client = Deno.createHttpClient({ allowHost: true });
      const res = await fetch(`http://127.0.0.1:${port}/`, {
        headers: { host: "compiled.test" },
        client,
      });
      assertEquals(res.status, 200, gw.logs());
      assertEquals(((await res.json()) as EchoReply).backend, "echo");
      assertEquals((await gw.stop()).code, 0, gw.logs());
    } finally {
      await backend.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
