/**
 * The files source waiting for a missing manifests directory. It watches the
 * parent directory, so a directory made later is read at once; polling every
 * `retryMs` is only the fallback for a parent that cannot be watched (missing
 * too). Here `retryMs` is an hour where the parent's watch must do the work,
 * and the periodic re-read is off: only an event can deliver the change
 * before the test's deadline.
 *
 * `Deno.watchFs` resolves the path it is given, then inotify watches it: a
 * path that is made between the two is watched, but none of its events reach
 * the watch. A parent watch opened as the parent was being made hid the
 * directory made in it; two tests here make that order certain, with a watch
 * of an idle directory standing for the deaf one.
 */
import { assert, assertEquals } from "@std/assert";
import { createLogger } from "../../src/log/logger.ts";
import { createFilesSource, type FilesSourceOptions } from "../../src/source/files.ts";
import { createStore, type Store } from "../../src/source/store.ts";
import { FakeClock } from "../_helpers/fake_clock.ts";
import { waitFor } from "../_helpers/wait_for.ts";
import { route, WatchLog } from "./_watch_log.ts";

const HOUR_MS = 3_600_000;

async function startSource(
  dir: string,
  options: Partial<FilesSourceOptions> = {},
): Promise<{ store: Store; stop(): Promise<void>; routes(): string; missing(): boolean }> {
  const store = createStore({ holdoffMs: 5, maxDelayMs: 20 });
  const source = createFilesSource({
    dir,
    store,
    logger: createLogger({ level: "error", write: () => {} }),
    holdoffMs: 30,
    retryMs: HOUR_MS,
    resyncMs: 0,
    ...options,
  });
  await source.start();
  return {
    store,
    routes: () => store.list("HTTPRoute").map((r) => r.metadata.name).sort().join(),
    missing: () => source.problems().some((p) => p.object === `file:${dir}`),
    async stop() {
      await source.stop();
      store.close();
    },
  };
}

Deno.test("a manifests directory made after start is read at once, through its parent's watch", async () => {
  const parent = await Deno.makeTempDir({ prefix: "serval-parent-" });
  const dir = `${parent}/manifests`;
  const watches = new WatchLog({ recursive: false });
  const s = await startSource(dir, { watchParent: watches.watch });
  try {
    assert(s.missing(), "the missing directory is a problem");
    await waitFor("the parent's watch", () => watches.open() === 1);
    assertEquals(watches.dirs, [parent]);
    // Unrelated entries of the parent do not end the wait.
    await Deno.writeTextFile(`${parent}/other.yaml`, route("other"));
    await Deno.mkdir(dir);
    await Deno.writeTextFile(`${dir}/a.yaml`, route("a"));
    await waitFor("the new directory's file", () => s.routes() === "a");
    assert(!s.missing(), "the problem is gone");
    assertEquals(watches.open(), 0, "the parent's watch is closed");
    // The directory itself is watched now.
    await Deno.writeTextFile(`${dir}/b.yaml`, route("b"));
    await waitFor("an edit in the new directory", () => s.routes() === "a,b");
  } finally {
    await s.stop();
    await Deno.remove(parent, { recursive: true });
  }
});

Deno.test("a manifests directory removed and made again later is read at once", async () => {
  const parent = await Deno.makeTempDir({ prefix: "serval-parent-" });
  const dir = `${parent}/manifests`;
  await Deno.mkdir(dir);
  await Deno.writeTextFile(`${dir}/a.yaml`, route("a"));
  const s = await startSource(dir);
  try {
    assertEquals(s.routes(), "a");
    await Deno.remove(dir, { recursive: true });
    await waitFor("the directory problem", () => s.missing());
    assertEquals(s.routes(), "a", "the last good objects keep serving");
    // Made in another place and renamed in: one event in the parent.
    await Deno.mkdir(`${parent}/.staging`);
    await Deno.writeTextFile(`${parent}/.staging/b.yaml`, route("b"));
    await Deno.rename(`${parent}/.staging`, dir);
    await waitFor("the renamed-in directory", () => s.routes() === "b");
    await Deno.writeTextFile(`${dir}/c.yaml`, route("c"));
    await waitFor("an edit in it", () => s.routes() === "b,c");
  } finally {
    await s.stop();
    await Deno.remove(parent, { recursive: true });
  }
});

Deno.test("a directory made while its parent's watch is set up is not missed", async () => {
  const parent = await Deno.makeTempDir({ prefix: "serval-parent-" });
  const dir = `${parent}/manifests`;
  const watches = new WatchLog({ recursive: false });
  // Made after the source found it missing, before its parent's watch can
  // report anything: the race, made certain.
  watches.afterWatch = () => {
    Deno.mkdirSync(dir);
    Deno.writeTextFileSync(`${dir}/a.yaml`, route("a"));
  };
  const s = await startSource(dir, { watchParent: watches.watch });
  try {
    await waitFor("the directory made in the race", () => s.routes() === "a");
    assertEquals(watches.dirs.length, 1);
  } finally {
    await s.stop();
    await Deno.remove(parent, { recursive: true });
  }
});

Deno.test("with its parent missing too, the directory is polled for until the parent can be watched", async () => {
  const root = await Deno.makeTempDir({ prefix: "serval-parent-" });
  const parent = `${root}/config`;
  const dir = `${parent}/manifests`;
  const watches = new WatchLog({ recursive: false });
  const s = await startSource(dir, { watchParent: watches.watch, retryMs: 20 });
  try {
    assert(s.missing());
    await Deno.mkdir(parent);
    await waitFor("the parent's watch, once the parent is there", () => watches.open() === 1);
    await Deno.mkdir(dir);
    await Deno.writeTextFile(`${dir}/a.yaml`, route("a"));
    await waitFor("the directory", () => s.routes() === "a");
  } finally {
    await s.stop();
    await Deno.remove(root, { recursive: true });
  }
});

/** Whether anything is at `path`. */
function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Checks `check` after each step of `clock`, for code that waits on it. */
function waitAdvancing(what: string, clock: FakeClock, ms: number, check: () => boolean) {
  return waitFor(what, async () => {
    if (check()) return true;
    await clock.advance(ms);
    return check();
  });
}

Deno.test("a parent made while its watch is opened does not hide the directory made in it", async () => {
  const root = await Deno.makeTempDir({ prefix: "serval-parent-" });
  const parent = `${root}/config`;
  const dir = `${parent}/manifests`;
  const idle = await Deno.makeTempDir({ prefix: "serval-idle-" });
  const clock = new FakeClock();
  const watches = new WatchLog({ recursive: false });
  // Any watch asked of a missing parent: the parent is made during the call
  // and the watch hears nothing.
  watches.beforeWatch = (path) => {
    if (exists(path)) return;
    Deno.mkdirSync(path);
    return idle;
  };
  const s = await startSource(dir, { watchParent: watches.watch, clock, retryMs: 1_000 });
  try {
    // The source has looked for the parent once: it waits to look again, or
    // on a watch.
    await waitFor("the first look", () => clock.pending() > 0 || watches.open() > 0);
    await Deno.mkdir(parent, { recursive: true });
    await waitAdvancing("the parent's watch", clock, 1_000, () => watches.open() === 1);
    await Deno.mkdir(dir);
    await Deno.writeTextFile(`${dir}/a.yaml`, route("a"));
    await waitAdvancing("the new directory's file", clock, 30, () => s.routes() === "a");
    assertEquals(watches.dirs, [parent], "one watch, of the parent already there");
  } finally {
    await s.stop();
    await Deno.remove(root, { recursive: true });
    await Deno.remove(idle, { recursive: true });
  }
});

Deno.test("a parent replaced while its watch is opened is watched again", async () => {
  const root = await Deno.makeTempDir({ prefix: "serval-parent-" });
  const parent = `${root}/config`;
  const dir = `${parent}/manifests`;
  await Deno.mkdir(parent);
  const idle = await Deno.makeTempDir({ prefix: "serval-idle-" });
  const clock = new FakeClock();
  const watches = new WatchLog({ recursive: false });
  // The first watch: the parent is removed and another put in its place
  // during the call, and the watch hears nothing.
  watches.beforeWatch = (path, n) => {
    if (n !== 1) return;
    Deno.mkdirSync(`${root}/next`);
    Deno.removeSync(path);
    Deno.renameSync(`${root}/next`, path);
    return idle;
  };
  const s = await startSource(dir, { watchParent: watches.watch, clock, retryMs: 1_000 });
  try {
    await waitAdvancing("a second watch", clock, 1_000, () => watches.dirs.length === 2);
    assertEquals(watches.open(), 1, "the first one is closed");
    await Deno.mkdir(dir);
    await Deno.writeTextFile(`${dir}/a.yaml`, route("a"));
    await waitAdvancing("the new directory's file", clock, 30, () => s.routes() === "a");
  } finally {
    await s.stop();
    await Deno.remove(root, { recursive: true });
    await Deno.remove(idle, { recursive: true });
  }
});

Deno.test("stopping while the parent is watched closes its watch", async () => {
  const parent = await Deno.makeTempDir({ prefix: "serval-parent-" });
  const watches = new WatchLog({ recursive: false });
  const s = await startSource(`${parent}/manifests`, { watchParent: watches.watch });
  try {
    await waitFor("the parent's watch", () => watches.open() === 1);
  } finally {
    await s.stop();
  }
  assertEquals(watches.open(), 0);
  await Deno.remove(parent, { recursive: true });
});

Deno.test("a reload that finds the directory ends the wait at once", async () => {
  const parent = await Deno.makeTempDir({ prefix: "serval-parent-" });
  const dir = `${parent}/manifests`;
  // A parent watch that never reports (it watches an idle directory): as
  // if its events were lost.
  const idle = await Deno.makeTempDir({ prefix: "serval-idle-" });
  const store = createStore({ holdoffMs: 5, maxDelayMs: 20 });
  const source = createFilesSource({
    dir,
    store,
    logger: createLogger({ level: "error", write: () => {} }),
    holdoffMs: 30,
    retryMs: HOUR_MS,
    resyncMs: 0,
    watchParent: () => Deno.watchFs(idle, { recursive: false }),
  });
  const routes = () => store.list("HTTPRoute").map((r) => r.metadata.name).sort().join();
  try {
    await source.start();
    await Deno.mkdir(dir);
    await Deno.writeTextFile(`${dir}/a.yaml`, route("a"));
    assertEquals((await source.reload()).ok, true);
    assertEquals(routes(), "a");
    // Only a watcher of the directory can deliver this.
    await Deno.writeTextFile(`${dir}/b.yaml`, route("b"));
    await waitFor("an edit after the reload", () => routes() === "a,b");
  } finally {
    await source.stop();
    store.close();
    await Deno.remove(parent, { recursive: true });
    await Deno.remove(idle, { recursive: true });
  }
});
