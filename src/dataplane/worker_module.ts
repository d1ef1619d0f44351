/**
 * Where the data-plane worker's module is (`--workers N` starts it with
 * `new Worker`). From the sources it is `dataplane_worker.ts` beside this
 * file. In a bundle (`scripts/bundle.ts`, what the compiled binary is built
 * from) every module's `import.meta.url` is the bundle's own, and the
 * worker's bundle is written beside it as {@linkcode WORKER_BUNDLE_NAME}.
 * @module
 */

/** The file name of the worker's bundle, beside the gateway's bundle. */
export const WORKER_BUNDLE_NAME = "dataplane_worker.js";

/**
 * The worker module for code loaded from `base`: the `.ts` source beside a
 * `.ts` module, else the worker's bundle beside the bundle.
 *
 * @example
 * ```ts
 * import { workerModuleUrl } from "./worker_module.ts";
 * workerModuleUrl("file:///srv/dist/main.js").href; // "file:///srv/dist/dataplane_worker.js"
 * ```
 */
export function workerModuleUrl(base: string = import.meta.url): URL {
  const fromSources = new URL(base).pathname.endsWith(".ts");
  return new URL(fromSources ? "./dataplane_worker.ts" : `./${WORKER_BUNDLE_NAME}`, base);
}
