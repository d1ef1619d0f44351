import { assertEquals } from "@std/assert";
import { ChangedPaths, readPathState } from "../../src/source/files_events.ts";

Deno.test("events on files directly in the directory name those files, as the source names them", () => {
  const changed = new ChangedPaths("manifests", ["/srv/manifests"]);
  changed.note({ kind: "create", paths: ["/srv/manifests/web.yaml.tmp"] });
  changed.note({
    kind: "rename",
    paths: ["/srv/manifests/web.yaml.tmp", "/srv/manifests/web.yaml"],
  });
  changed.note({ kind: "modify", paths: ["/srv/manifests/web.yaml"] });
  assertEquals(changed.take(), ["manifests/web.yaml.tmp", "manifests/web.yaml"]);
  assertEquals(changed.take(), [], "taken: nothing left");
});

Deno.test("events naming the directory by a link's path or by its real path are both understood", () => {
  const changed = new ChangedPaths("/etc/manifests", ["/etc/manifests", "/data/manifests"]);
  changed.note({ kind: "modify", paths: ["/etc/manifests/a.yaml"] });
  changed.note({ kind: "modify", paths: ["/data/manifests/b.yaml"] });
  assertEquals(changed.take(), ["/etc/manifests/a.yaml", "/etc/manifests/b.yaml"]);
});

Deno.test("anything but a plain entry of the directory asks for the whole tree", () => {
  const cases = [
    { kind: "modify", paths: ["/srv/manifests/sub/web.yaml"] },
    { kind: "modify", paths: ["/srv/manifests/..data"] },
    { kind: "remove", paths: ["/srv/manifests"] },
    { kind: "modify", paths: ["/srv/other/web.yaml"] },
    { kind: "other", paths: ["/srv/manifests/web.yaml"] },
    { kind: "modify", paths: [] },
  ];
  for (const event of cases) {
    const changed = new ChangedPaths("/srv/manifests/", ["/srv/manifests"]);
    changed.note({ kind: "modify", paths: ["/srv/manifests/a.yaml"] });
    changed.note(event);
    assertEquals(changed.take(), "all", JSON.stringify(event));
    assertEquals(changed.take(), [], "then nothing");
  }
});

Deno.test("a path is read as a manifest, gone, an ignored file, or something only a whole read can tell", async () => {
  const dir = await Deno.makeTempDir({ prefix: "serval-events-" });
  try {
    await Deno.writeTextFile(`${dir}/a.yaml`, "kind: Namespace\n");
    await Deno.writeTextFile(`${dir}/a.yaml.tmp`, "x");
    await Deno.mkdir(`${dir}/sub.yaml`);
    await Deno.symlink(`${dir}/a.yaml`, `${dir}/link.yaml`);
    assertEquals(await readPathState(`${dir}/a.yaml`), {
      kind: "manifest",
      text: "kind: Namespace\n",
    });
    assertEquals(await readPathState(`${dir}/gone.yaml`), { kind: "gone" });
    assertEquals(await readPathState(`${dir}/a.yaml.tmp`), { kind: "ignored" });
    assertEquals(await readPathState(`${dir}/sub.yaml`), { kind: "other" });
    assertEquals(await readPathState(`${dir}/link.yaml`), { kind: "other" });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
