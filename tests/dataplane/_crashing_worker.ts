/**
 * The real data-plane worker, made to crash on demand: when a config
 * arrives and the file `crash-<index>` exists in `$SERVAL_TEST_CRASH_DIR`,
 * the file is removed and the worker throws an uncaught error.
 * @module
 */
/// <reference lib="deno.worker" />
import "../../src/dataplane/dataplane_worker.ts";
import type { ToWorker } from "../../src/dataplane/worker_messages.ts";

let index = -1;
self.addEventListener("message", (event: MessageEvent<ToWorker>) => {
  if (event.data.type === "init") index = event.data.index;
  if (event.data.type !== "reconcile") return;
  const marker = `${Deno.env.get("SERVAL_TEST_CRASH_DIR")}/crash-${index}`;
  try {
    Deno.removeSync(marker);
  } catch {
    return;
  }
  setTimeout(() => {
    throw new Error(`worker ${index} crashes as the test asked`);
  });
});
