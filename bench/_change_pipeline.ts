/**
 * One change's cost through the gateway's per-change pipeline, in process:
 * `translate` with the memo the reconciler carries, the route table compiler
 * that reuses earlier tables, and the status writer's `update` (a follower,
 * so it queues and writes nothing). What `translate_bench.ts --changes
 * --pipeline` prints per kind of change.
 * @module
 */
import type { Snapshot } from "../src/model/snapshot.ts";
import { translate } from "../src/translate/translate.ts";
import { TranslateMemo } from "../src/translate/translate_memo.ts";
import { createRouteTableCompiler } from "../src/router/compile_route_table.ts";
import { createStatusWriter } from "../src/status/status_writer.ts";
import { createLogger } from "../src/log/logger.ts";
import type { KubeClient } from "../src/kube/client.ts";
import type { Change } from "./_translate_changes.ts";

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
  snapshot: Snapshot,
  change: Change,
  iterations: number,
  controllerName: string,
): StageTimes {
  const options = { controllerName };
  const memo = new TranslateMemo();
  const compile = createRouteTableCompiler();
  const writer = createStatusWriter({
    client: {} as KubeClient,
    store: { get: () => undefined },
    controllerName,
    logger: createLogger({ write: () => {} }),
    leadership: FOLLOWER,
  });
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
