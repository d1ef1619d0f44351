/**
 * `deno task bundle`, what the compiled binary is built from: the minified
 * bundle of a staged copy prints the same help, version line (with the
 * staged revision) and `translate` output as the sources, and run with the
 * binary's permissions it serves a route from a manifest directory through
 * two data-plane workers (whose own bundle it finds beside it), with
 * `/readyz` ready and `/metrics` served. The binary itself is tested in
 * `compile.test.ts` where a `denort` runtime is at hand.
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { type EchoReply, startEchoBackend } from "../../scripts/echo_backend.ts";
import { buildBundle, SHIPPED_BUNDLE } from "../../scripts/bundle.ts";
import { permissionFlags } from "../../scripts/compile_permissions.ts";
import { stageSources } from "../../scripts/compile.ts";
import { freePort, MAIN_PATH, runDeno } from "../_helpers/gateway_process.ts";
import { ROOT } from "./_deploy.ts";
import { oneRouteManifests, startShipped } from "./_shipped_process.ts";

function run(main: string, args: string[], readPaths: string[] = []) {
  return runDeno(["run", ...permissionFlags({ readPaths }), main, ...args]);
}

Deno.test("the bundle says and translates what the sources do, and serves through two workers", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "serval-bundle-" });
  const backend = startEchoBackend({ name: "echo" });
  try {
    // As `deno task compile` builds it: from a staged copy with the revision written in.
    await stageSources(`${dir}/stage`, "bundle-test");
    const bundle = await buildBundle(`${dir}/bundle`, `${dir}/stage`, SHIPPED_BUNDLE);
    for (const file of bundle.files) assert((await Deno.stat(file)).size > 0, file);
    // A linked map would be read (3 MB) and held by every process that loads the bundle.
    for (const file of bundle.code) {
      assert(!(await Deno.readTextFile(file)).includes("sourceMappingURL"), file);
      assert(bundle.files.includes(`${file}.map`), `${file}.map`);
    }

    await t.step("help, version and translate print the same as from the sources", async () => {
      const examples = `${ROOT}examples`;
      for (const args of [["--help"], ["version"], ["translate", examples]]) {
        const [fromSources, fromBundle] = await Promise.all([
          run(MAIN_PATH, args, [examples]),
          run(bundle.main, args, [examples]),
        ]);
        assertEquals(fromSources.code, 0, fromSources.stderr);
        const embedded = fromSources.stdout.replace(/\(revision [^,]+,/, "(revision bundle-test,");
        assertEquals(fromBundle, { ...fromSources, stdout: embedded }, args.join(" "));
      }
      const usage = await run(bundle.main, ["run", "--no-such-flag"]);
      assertEquals(usage, await run(MAIN_PATH, ["run", "--no-such-flag"]));
      assertEquals(usage.code, 2);
    });

    await t.step("--workers 2 serves a route; /readyz and /metrics answer", async () => {
      const manifests = `${dir}/manifests`;
      await Deno.mkdir(manifests);
      const port = freePort();
      await Deno.writeTextFile(
        `${manifests}/all.yaml`,
        oneRouteManifests(port, "bundle.test", backend.port),
      );
      // `deno run` reads the worker's bundle from disk (a compiled binary
      // from the files embedded in it): the bundle's directory is readable.
      const readPaths = [manifests, `${dir}/bundle`];
      await using gw = await startShipped({
        command: [Deno.execPath(), "run", ...permissionFlags({ readPaths }), bundle.main],
        args: ["--manifests", manifests, "--workers", "2", "--drain-delay", "0s"],
      });
      using client = Deno.createHttpClient({ allowHost: true });
      const res = await fetch(`http://127.0.0.1:${port}/`, {
        headers: { host: "bundle.test" },
        client,
      });
      assertEquals(res.status, 200, gw.logs());
      assertEquals(((await res.json()) as EchoReply).backend, "echo");
      const ready = await fetch(`${gw.adminUrl}/readyz`);
      assertEquals(ready.status, 200, await ready.text());
      const metrics = await fetch(`${gw.adminUrl}/metrics`);
      assertEquals(metrics.status, 200);
      const text = await metrics.text();
      assertStringIncludes(text, "process_resident_memory_bytes");
      assertStringIncludes(text, "nodejs_heap_size_used_bytes");
      // Both workers started from the worker's bundle and bound the port.
      for (const worker of [0, 1]) assertStringIncludes(gw.logs(), `worker=${worker}`);
      assertEquals((await gw.stop()).code, 0, gw.logs());
    });
  } finally {
    await backend.close();
    await Deno.remove(dir, { recursive: true });
  }
});
