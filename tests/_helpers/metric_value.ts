/**
 * Reads one sample from a Prometheus text exposition (`/metrics`), for tests
 * that check counters through the real process.
 * @module
 */

/**
 * The value of the sample `name{labels}` (labels in any order, all given),
 * or `undefined` when no such sample is printed.
 *
 * @example
 * ```ts
 * import { metricValue } from "./metric_value.ts";
 * metricValue('a_total{kind="x"} 3\n', "a_total", { kind: "x" }); // 3
 * ```
 */
export function metricValue(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    const match = /^(?:\{([^}]*)\})?\s+(\S+)/.exec(rest);
    if (match === null) continue;
    const found = new Map<string, string>();
    for (const pair of (match[1] ?? "").matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)) {
      found.set(pair[1], pair[2]);
    }
    if (Object.entries(labels).every(([k, v]) => found.get(k) === v)) return Number(match[2]);
  }
  return undefined;
}
