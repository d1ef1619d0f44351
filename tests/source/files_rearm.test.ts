/**
 * The files source re-arming its watcher after the manifests directory is
 * removed and made again. A watcher of a removed directory sees nothing of
 * a new one at the same path, and while it stays open Deno delivers no
 * events to a later watcher of that path either. So the source watches again
 * when the directory itself is removed (a read cannot tell a re-made
 * directory apart: it usually gets the old inode number), and closes every
 * watcher it gives up before the next starts; else edits in the new directory
 * wait for the periodic re-read (disabled here, so only the watcher can
 * deliver them).
 */
import { assertEquals } from "@std/assert";
import { createLogger } from "../../src/log/logger.ts";
import { createFilesSource } from "../../src/source/files.ts";
import { createStore } from "../../src/source/store.ts";
import { waitFor } from "../_helpers/wait_for.ts";
import { route, WatchLog } from "./_watch_log.ts";

Deno.test("a directory removed while its watcher is set up is watched again once re-created", async () => {
  const parent = await Deno.makeTempDir({ prefix: "serval-rearm-" });
  const dir = `${parent}/manifests`;
  await Deno.mkdir(dir);
  await Deno.writeTextFile(`${dir}/a.yaml`, route("a"));
  const log = new WatchLog({ recursive: true });
  // The first watcher is set up on the directory, which then vanishes
  // before the source has finished arming it: the race, made certain.
  log.afterWatch = (n) => {
    if (n === 1) Deno.removeSync(dir, { recursive: true });
  };
  const store = createStore({ holdoffMs: 5, maxDelayMs: 20 });
  const source = createFilesSource({
    dir,
    store,
    logger: createLogger({ level: "error", write: () => {} }),
    holdoffMs: 30,
    retryMs: 20,
    resyncMs: 0,
    watch: log.watch,
  });
  const routes = () => store.list("HTTPRoute").map((r) => r.metadata.name).sort().join();
  try {
    await source.start();
    assertEquals(routes(), "a");
    await waitFor(
      "the directory problem",
      () => source.problems().some((p) => p.object === `file:${dir}`),
    );
    assertEquals(routes(), "a", "the last good objects keep serving");
    assertEquals(log.open(), 0, "the watcher of the removed directory is closed");

    await Deno.mkdir(dir);
    await Deno.writeTextFile(`${dir}/b.yaml`, route("b"));
    await waitFor("the re-created directory", () => routes() === "b");
    assertEquals(source.problems(), []);
    assertEquals(log.open(), 1, "only the new directory's watcher is open");
    // Only the new watcher can deliver this: no periodic re-read runs.
    await Deno.writeTextFile(`${dir}/c.yaml`, route("c"));
    await waitFor("an edit in the re-created directory", () => routes() === "b,c");
  } finally {
    await source.stop();
    store.close();
    await Deno.remove(parent, { recursive: true });
  }
});

Deno.test("a directory removed and made again at once is watched again", async () => {
  const parent = await Deno.makeTempDir({ prefix: "serval-rearm-" });
  const dir = `${parent}/manifests`;
  await Deno.mkdir(dir);
  await Deno.writeTextFile(`${dir}/a.yaml`, route("a"));
  const log = new WatchLog({ recursive: true });
  const store = createStore({ holdoffMs: 5, maxDelayMs: 20 });
  const source = createFilesSource({
    dir,
    store,
    logger: createLogger({ level: "error", write: () => {} }),
    holdoffMs: 30,
    retryMs: 20,
    resyncMs: 0,
    watch: log.watch,
  });
  const routes = () => store.list("HTTPRoute").map((r) => r.metadata.name).sort().join();
  try {
    await source.start();
    await waitFor("the first watcher", () => log.dirs.length === 1);
    // All at once, before the source can read: `rm -rf dir && mkdir dir && cp`.
    // The new directory usually gets the old one's inode number (ext4, tmpfs).
    Deno.removeSync(dir, { recursive: true });
    Deno.mkdirSync(dir);
    Deno.writeTextFileSync(`${dir}/b.yaml`, route("b"));
    await waitFor("a watcher of the new directory", () => log.dirs.length === 2);
    await waitFor("the new directory's file", () => routes() === "b");
    assertEquals(log.open(), 1, "only the new directory's watcher is open");
    // Only the new watcher can deliver this: no periodic re-read runs.
    await Deno.writeTextFile(`${dir}/c.yaml`, route("c"));
    await waitFor("an edit in the new directory", () => routes() === "b,c");
  } finally {
    await source.stop();
    store.close();
    await Deno.remove(parent, { recursive: true });
  }
});
