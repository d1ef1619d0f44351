/**
 * One change's cost through the gateway's per-change pipeline, in process:
 * `translate` with the memo the reconciler carries, the route table compiler
 * that reuses earlier tables, and the status writer's `update` (a follower,
 * so it queues and writes nothing). What `translate_bench.ts --changes
 * --pipeline` prints per kind of change. The stages are loaded from a
 * checkout (`loadPipeline`), so another checkout's can run beside them in
 * alternating rounds (`--against`).
 * @module
 */
import type { Snapshot } from "../src/model/snapshot.ts";
import type { TranslateOptions, TranslateResult } from "../src/model/config.ts";
import type { Change } from "./_translate_changes.ts";

/** The stages of one checkout. */
export interface Pipeline {
  // deno-lint-ignore no-explicit-any
  translate(snapshot: Snapshot, options: TranslateOptions, memo?: any): TranslateResult;
  newMemo(): unknown;
  newCompiler(): (config: TranslateResult["config"]) => unknown;
  newWriter(controllerName: string): {
    update(result: TranslateResult): void;
    stop(): Promise<void>;
  };
}

/** The stages of the checkout at `root` (a directory URL ending in `/`). */
export async function loadPipeline(root: URL): Promise<Pipeline> {
  const at = (path: string) => new URL(path, root).href;
  const { translate } = await import(at("src/translate/translate.ts"));
  const { TranslateMemo } = await import(at("src/translate/translate_memo.ts"));
  const { createRouteTableCompiler } = await import(at("src/router/compile_route_table.ts"));
  const { createStatusWriter } = await import(at("src/status/status_writer.ts"));
  const { createLogger } = await import(at("src/log/logger.ts"));
  return {
    translate,
    newMemo: () => new TranslateMemo(),
    newCompiler: () => createRouteTableCompiler(),
    newWriter: (controllerName) =>
      createStatusWriter({
        client: {},
        store: { get: () => undefined },
        controllerName,
        logger: createLogger({ write: () => {} }),
        leadership: FOLLOWER,
      }),
  };
}

/** Milliseconds per stage of each change, in the order they ran. */
export interface StageTimes {
  translate: number[];
  compile: number[];
  status: number[];
}

const FOLLOWER = Object.freeze({ isLeader: () => false, onChange: () => () => {} });

/**
 * Times `iterations` changes made by `change` to `snapshot`, each through
 * translate, compile and the status writer's update.
 */
export function measurePipeline(
  pipeline: Pipeline,
  snapshot: Snapshot,
  change: Change,
  iterations: number,
  controllerName: string,
): StageTimes {
  const { translate } = pipeline;
  const options = { controllerName };
  const memo = pipeline.newMemo();
  const compile = pipeline.newCompiler();
  const writer = pipeline.newWriter(controllerName);
  const first = translate(snapshot, options, memo);
  compile(first.config);
  writer.update(first);
  const times: StageTimes = { translate: [], compile: [], status: [] };
  for (let i = 0; i < iterations; i++) {
    snapshot = change(snapshot, i);
    const t0 = performance.now();
    const result = translate(snapshot, options, memo);
    const t1 = performance.now();
    compile(result.config);
    const t2 = performance.now();
    writer.update(result);
    const t3 = performance.now();
    times.translate.push(t1 - t0);
    times.compile.push(t2 - t1);
    times.status.push(t3 - t2);
  }
  writer.stop();
  return times;
}

/** Median, mean and max of `values`, as one line of ms. */
export function summary(values: readonly number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const median = sorted[sorted.length >> 1];
  return `median ${median.toFixed(3)} mean ${mean.toFixed(3)} max ${
    sorted[sorted.length - 1].toFixed(2)
  }`;
}
