import { assertEquals } from "@std/assert";
import { isManifestName, isSkippedName, listManifestFiles } from "../../src/source/files_walk.ts";

Deno.test("manifest names: .yaml, .yml and .json only; hidden, backup and autosave names skipped", () => {
  assertEquals(["a.yaml", "b.YML", "c.json", "d.txt", "e.yaml.swp"].map(isManifestName), [
    true,
    true,
    true,
    false,
    false,
  ]);
  assertEquals([".a.yaml", "a.yaml~", "#a.yaml#", "..data", "a.yaml"].map(isSkippedName), [
    true,
    true,
    true,
    true,
    false,
  ]);
});

Deno.test("files are listed recursively in code-unit path order", async () => {
  const dir = await Deno.makeTempDir({ prefix: "serval-walk-" });
  try {
    for (const path of ["b.yaml", "a/z.yaml", "a.yaml", "B.yaml", "a/b/c.json"]) {
      const full = `${dir}/${path}`;
      await Deno.mkdir(full.slice(0, full.lastIndexOf("/")), { recursive: true });
      await Deno.writeTextFile(full, "{}");
    }
    const listing = await listManifestFiles(dir);
    assertEquals(listing.ok, true);
    assertEquals(listing.files.map((f) => f.slice(dir.length + 1)), [
      "B.yaml",
      "a.yaml",
      "a/b/c.json",
      "a/z.yaml",
      "b.yaml",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("symbolic link cycles are walked once and dangling links are skipped", async () => {
  const dir = await Deno.makeTempDir({ prefix: "serval-walk-" });
  try {
    await Deno.mkdir(`${dir}/sub`);
    await Deno.writeTextFile(`${dir}/sub/a.yaml`, "{}");
    await Deno.symlink("..", `${dir}/sub/up`);
    await Deno.symlink(".", `${dir}/sub/self`);
    await Deno.symlink("missing.yaml", `${dir}/dangling.yaml`);
    const listing = await listManifestFiles(dir);
    assertEquals(listing.files.map((f) => f.slice(dir.length + 1)), ["sub/a.yaml"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a missing directory is reported, not thrown", async () => {
  const listing = await listManifestFiles("/nonexistent/serval-manifests");
  assertEquals(listing.ok, false);
  assertEquals(listing.files, []);
});
