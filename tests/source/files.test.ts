import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { createLogger } from "../../src/log/logger.ts";
import { createFilesSource } from "../../src/source/files.ts";
import type { Source } from "../../src/source/source.ts";
import { createStore } from "../../src/source/store.ts";
import { FakeClock, flushTasks } from "../_helpers/fake_clock.ts";
import type { Clock } from "../../src/time/clock.ts";

const route = (name: string, path = "/") =>
  `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: ${name}
  namespace: apps
spec:
  rules:
  - matches:
    - path: { type: PathPrefix, value: "${path}" }
`;

const namespace = (name: string) => `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${name}\n`;

// Every watcher-driven change must show up; only a defect takes this long.
const WATCH_DEADLINE_MS = 60_000;

async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  deadlineMs = WATCH_DEADLINE_MS,
): Promise<number> {
  const start = performance.now();
  while (!(await check())) {
    if (performance.now() - start > deadlineMs) {
      throw new Error(`Timed out after ${deadlineMs} ms waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  return performance.now() - start;
}

interface Harness {
  dir: string;
  source: Source;
  lines: Record<string, unknown>[];
  routes(): string[];
  pathOf(name: string): string | undefined;
  [Symbol.asyncDispose](): Promise<void>;
}

async function harness(
  files: Record<string, string> = {},
  dir?: string,
  clock?: Clock,
): Promise<Harness> {
  const root = dir ?? await Deno.makeTempDir({ prefix: "serval-files-" });
  for (const [path, text] of Object.entries(files)) {
    const full = `${root}/${path}`;
    await Deno.mkdir(full.slice(0, full.lastIndexOf("/")), { recursive: true });
    await Deno.writeTextFile(full, text);
  }
  const store = createStore({ holdoffMs: 5, maxDelayMs: 20, clock });
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ level: "debug", write: (l) => lines.push(JSON.parse(l)) });
  const source = createFilesSource({
    dir: root,
    store,
    logger,
    holdoffMs: 30,
    retryMs: 50,
    // No periodic re-read: every change a test makes must come through the watcher.
    resyncMs: 0,
    clock,
  });
  await source.start();
  return {
    dir: root,
    source,
    lines,
    routes: () => store.list("HTTPRoute").map((r) => r.metadata.name).sort(),
    pathOf: (name) => {
      const r = store.list("HTTPRoute").find((o) => o.metadata.name === name);
      return r?.kind === "HTTPRoute" ? r.spec.rules?.[0].matches?.[0].path?.value : undefined;
    },
    async [Symbol.asyncDispose]() {
      await source.stop();
      store.close();
      await Deno.remove(root, { recursive: true }).catch(() => {});
    },
  };
}

Deno.test("initial load reads nested directories, .yaml/.yml/.json, and skips hidden and temp files", async () => {
  await using h = await harness({
    "a.yaml": route("a"),
    "nested/deeper/b.yml": route("b"),
    "c.json": JSON.stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name: "apps" } }),
    ".hidden.yaml": route("hidden"),
    ".git/config.yaml": route("git"),
    "d.yaml~": route("backup"),
    "#e.yaml#": route("autosave"),
    "notes.txt": route("text"),
  });
  assertEquals(h.routes(), ["a", "b"]);
  assertEquals(h.source.store.list("Namespace").map((n) => n.metadata.name), ["apps"]);
  const state = h.source.syncState();
  assertEquals(state.HTTPRoute.synced, true);
  assertEquals(state.HTTPRoute.objects, 2);
  assertEquals(state.Gateway.objects, 0);
  assert(state.HTTPRoute.lastSyncTime);
  assertEquals(h.source.problems(), []);
});

Deno.test("an edit is picked up by the watcher within the deadline", async () => {
  await using h = await harness({ "a.yaml": route("a", "/v1") });
  await Deno.writeTextFile(`${h.dir}/a.yaml`, route("a", "/v2"));
  const took = await waitFor("the edit", () => h.pathOf("a") === "/v2");
  assert(took < WATCH_DEADLINE_MS);
});

Deno.test("a broken edit keeps the last good objects and reports the problem; fixing recovers", async () => {
  await using h = await harness({ "a.yaml": route("a", "/v1") });
  await Deno.writeTextFile(`${h.dir}/a.yaml`, "apiVersion: v1\nkind: [oops\n");
  await waitFor("the syntax problem", () => h.source.problems().length > 0);
  assertEquals(h.pathOf("a"), "/v1");
  const [problem] = h.source.problems();
  assertEquals(problem.object, `file:${h.dir}/a.yaml`);
  assertStringIncludes(problem.message, "Cannot parse YAML at line");
  assert(h.lines.some((l) => l.level === "warn" && l.msg === "manifest problem"));

  await Deno.writeTextFile(`${h.dir}/a.yaml`, route("a", "/v3"));
  await waitFor("the fix", () => h.pathOf("a") === "/v3");
  assertEquals(h.source.problems(), []);
});

Deno.test("an object made invalid keeps serving its last good version with a field-level problem", async () => {
  await using h = await harness({ "a.yaml": route("a", "/v1") });
  await Deno.writeTextFile(`${h.dir}/a.yaml`, route("a", "no-slash"));
  await waitFor("the validation problem", () => h.source.problems().length > 0);
  assertEquals(h.pathOf("a"), "/v1");
  assertEquals(h.source.problems()[0].field, "doc[0].spec.rules[0].matches[0].path.value");
});

Deno.test("a deleted file removes its objects", async () => {
  await using h = await harness({ "a.yaml": route("a"), "b.yaml": route("b") });
  await Deno.remove(`${h.dir}/b.yaml`);
  await waitFor("the removal", () => h.routes().length === 1);
  assertEquals(h.routes(), ["a"]);
});

Deno.test("an atomic replace by rename is picked up", async () => {
  await using h = await harness({ "a.yaml": route("a", "/v1") });
  await Deno.writeTextFile(`${h.dir}/.a.yaml.tmp`, route("a", "/v2"));
  await Deno.rename(`${h.dir}/.a.yaml.tmp`, `${h.dir}/a.yaml`);
  await waitFor("the renamed file", () => h.pathOf("a") === "/v2");
});

Deno.test("a file renamed over a manifest from a visible temporary name is read, the temporary file never", async () => {
  await using h = await harness({ "a.yaml": route("a", "/v1"), "b.yaml": route("b") });
  await Deno.writeTextFile(`${h.dir}/a.yaml.tmp`, route("a", "/v2"));
  await Deno.rename(`${h.dir}/a.yaml.tmp`, `${h.dir}/a.yaml`);
  await waitFor("the renamed file", () => h.pathOf("a") === "/v2");
  assertEquals(h.routes(), ["a", "b"]);
  await Deno.writeTextFile(`${h.dir}/c.yaml`, route("c"));
  await waitFor("a new file", () => h.routes().length === 3);
  assertEquals(h.source.problems(), []);
});

Deno.test("a manifests directory given as a link follows edits of its files", async () => {
  const real = await Deno.makeTempDir({ prefix: "serval-files-real-" });
  const link = `${real}-link`;
  await Deno.writeTextFile(`${real}/a.yaml`, route("a", "/v1"));
  await Deno.symlink(real, link);
  try {
    await using h = await harness({}, link);
    assertEquals(h.pathOf("a"), "/v1");
    await Deno.writeTextFile(`${link}/a.yaml`, route("a", "/v2"));
    await waitFor("the edit through the link", () => h.pathOf("a") === "/v2");
    await Deno.writeTextFile(`${real}/b.yaml`, route("b"));
    await waitFor("a file added under the real path", () => h.routes().length === 2);
  } finally {
    await Deno.remove(link).catch(() => {});
    await Deno.remove(real, { recursive: true }).catch(() => {});
  }
});

Deno.test("a subdirectory removed after the first read takes its objects with it", async () => {
  await using h = await harness({ "sub/a.yaml": route("a"), "top.yaml": route("top") });
  assertEquals(h.routes(), ["a", "top"]);
  await Deno.remove(`${h.dir}/sub`, { recursive: true });
  await waitFor("the subdirectory's objects gone", () => h.routes().length === 1);
  assertEquals(h.routes(), ["top"]);
  await Deno.mkdir(`${h.dir}/sub2`);
  await Deno.writeTextFile(`${h.dir}/sub2/b.yaml`, route("b"));
  await waitFor("a new subdirectory's file", () => h.routes().length === 2);
});

Deno.test("a file written in several steps settles on its final content", async () => {
  await using h = await harness({});
  const text = `${route("a", "/v1")}---\n${route("b")}`;
  const file = await Deno.open(`${h.dir}/a.yaml`, { write: true, create: true });
  const bytes = new TextEncoder().encode(text);
  for (let i = 0; i < bytes.length; i += 40) {
    await file.write(bytes.subarray(i, i + 40));
    await new Promise((r) => setTimeout(r, 5));
  }
  file.close();
  await waitFor("both objects", () => h.routes().length === 2);
  await waitFor("no problems", () => h.source.problems().length === 0);
});

Deno.test("a directory deleted and re-created with new files is followed", async () => {
  await using h = await harness({ "sub/a.yaml": route("a"), "top.yaml": route("top") });
  await Deno.remove(`${h.dir}/sub`, { recursive: true });
  await waitFor("the removal", () => h.routes().join() === "top");
  await Deno.mkdir(`${h.dir}/sub`);
  await Deno.writeTextFile(`${h.dir}/sub/b.yaml`, route("b"));
  await waitFor("the new file in the re-created directory", () => h.routes().join() === "b,top");
});

Deno.test("a ConfigMap-style mount is followed when its ..data link is swapped", async () => {
  const root = await Deno.makeTempDir({ prefix: "serval-cm-" });
  await Deno.mkdir(`${root}/..2026_01`);
  await Deno.writeTextFile(`${root}/..2026_01/routes.yaml`, route("a", "/v1"));
  await Deno.symlink("..2026_01", `${root}/..data`);
  await Deno.symlink("..data/routes.yaml", `${root}/routes.yaml`);
  await using h = await harness({}, root);
  assertEquals(h.pathOf("a"), "/v1");
  // What the kubelet does: write a new timestamped dir, point a temp link at it, rename it over ..data.
  await Deno.mkdir(`${root}/..2026_02`);
  await Deno.writeTextFile(`${root}/..2026_02/routes.yaml`, route("a", "/v2"));
  await Deno.symlink("..2026_02", `${root}/..data_tmp`);
  await Deno.rename(`${root}/..data_tmp`, `${root}/..data`);
  await Deno.remove(`${root}/..2026_01`, { recursive: true });
  await waitFor("the swapped content", () => h.pathOf("a") === "/v2");
  assertEquals(h.routes(), ["a"]);
});

Deno.test("a removed manifests directory keeps serving, then follows its re-creation", async () => {
  const parent = await Deno.makeTempDir({ prefix: "serval-root-" });
  const dir = `${parent}/manifests`;
  await using h = await harness({ "a.yaml": route("a") }, dir);
  await Deno.remove(dir, { recursive: true });
  await waitFor(
    "the directory problem",
    () => h.source.problems().some((p) => p.object === `file:${dir}`),
  );
  assertEquals(h.routes(), ["a"]);
  assertStringIncludes(
    h.source.syncState().HTTPRoute.lastError ?? "",
    "Cannot read manifests directory",
  );
  await Deno.mkdir(dir);
  await Deno.writeTextFile(`${dir}/b.yaml`, route("b"));
  await waitFor("the re-created directory", () => h.routes().join() === "b");
  assertEquals(h.source.problems(), []);
  // And it is watched again.
  await Deno.writeTextFile(`${dir}/c.yaml`, route("c"));
  await waitFor("an edit in the re-created directory", () => h.routes().join() === "b,c");
  await Deno.remove(parent, { recursive: true });
});

Deno.test("reload re-reads now and reports the outcome", async () => {
  await using h = await harness({ "a.yaml": route("a"), "b.yaml": route("b", "bad") });
  const outcome = await h.source.reload();
  assertEquals(outcome.ok, false);
  assertEquals(outcome.problems.length, 1);
  assertEquals(outcome.message, "Read 2 manifest files: 1 object, 1 problem");
  await Deno.writeTextFile(`${h.dir}/b.yaml`, route("b"));
  const fixed = await h.source.reload();
  assertEquals(fixed.ok, true);
  assertEquals(h.routes(), ["a", "b"]);
});

Deno.test("unknown kinds are ignored with a debug log", async () => {
  await using h = await harness({
    "d.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: d }\n",
  });
  assertEquals(h.source.problems(), []);
  assert(h.lines.some((l) => l.level === "debug" && l.kind === "Deployment"));
});

/**
 * With a FakeClock: waits until the source's start-up reads are over (a first
 * file is seen through the watcher) and lets every signal due so far go, so a
 * test's own writes are the only changes in flight.
 */
async function settle(h: Harness, clock: FakeClock): Promise<void> {
  await Deno.writeTextFile(`${h.dir}/first.yaml`, namespace("first"));
  await waitFor("the first file read", async () => {
    await clock.advance(30);
    return h.source.store.list("Namespace").some((n) => n.metadata.name === "first");
  });
  await clock.advance(1_000);
  h.source.store.flush();
}

/** With a FakeClock: moves time on while the source catches up with what is on disk. */
async function readUntil(clock: FakeClock, what: string, check: () => boolean): Promise<void> {
  await waitFor(what, async () => {
    await clock.advance(30);
    return check();
  });
  await clock.advance(1_000); // Every holdoff, the store's included, has fired.
}

Deno.test("the store is told once per burst of changes", async () => {
  // Time stands still while the burst is written, however slowly the machine writes it.
  const clock = new FakeClock();
  await using h = await harness({ "a.yaml": route("a") }, undefined, clock);
  await settle(h, clock);
  const idleTimers = clock.pending();
  let calls = 0;
  h.source.store.onChange(() => calls++);
  const names = [0, 1, 2, 3, 4].map((i) => `n${i}.yaml`);
  using watcher = Deno.watchFs(h.dir);
  for (const name of names) {
    await Deno.writeTextFile(`${h.dir}/${name}`, namespace(name.replace(".yaml", "")));
  }
  // The whole burst is on disk and announced, and the source has armed its holdoff.
  const announced = new Set<string>();
  for await (const event of watcher) {
    for (const p of event.paths) announced.add(p.slice(p.lastIndexOf("/") + 1));
    if (names.every((n) => announced.has(n))) break;
  }
  await waitFor("the source's holdoff armed", () => clock.pending() > idleTimers);
  // Events the source handles late re-read files that did not change: no more signals.
  await readUntil(clock, "the burst read", () => h.source.store.list("Namespace").length === 6);
  assertEquals(calls, 1);
});

Deno.test("a problem that changes no object still signals the store, once; so does its fix", async () => {
  // Time stands still while a file is written, so no read sees it half written.
  const clock = new FakeClock();
  await using h = await harness({ "a.yaml": route("a", "/v1") }, undefined, clock);
  await settle(h, clock);
  let calls = 0;
  h.source.store.onChange(() => calls++);
  await Deno.writeTextFile(`${h.dir}/a.yaml`, "apiVersion: v1\nkind: [oops\n");
  await readUntil(clock, "the syntax problem", () => h.source.problems().length > 0);
  assertEquals(calls, 1, "the problem is signalled once");
  assertEquals(h.pathOf("a"), "/v1", "the last good object is kept, so no object changed");
  await h.source.reload();
  await clock.advance(1_000);
  assertEquals(calls, 1, "re-reading the same problem signals nothing");
  await Deno.writeTextFile(`${h.dir}/a.yaml`, route("a", "/v1"));
  await readUntil(clock, "the problem gone", () => h.source.problems().length === 0);
  assertEquals(calls, 2, "the fix is signalled once");
});

Deno.test("stop is idempotent and the source stops following changes", async () => {
  await using h = await harness({ "a.yaml": route("a") });
  await h.source.stop();
  await h.source.stop();
  // A watcher of our own proves the change was there to be seen.
  using watcher = Deno.watchFs(h.dir);
  await Deno.writeTextFile(`${h.dir}/b.yaml`, route("b"));
  for await (const event of watcher) {
    if (event.paths.some((p) => p.endsWith("b.yaml"))) break;
  }
  h.source.store.flush();
  await flushTasks();
  assertEquals(h.routes(), ["a"]);
});
