/**
 * Gateway API durations (GEP-2257): one to four `<digits><unit>` components,
 * units `h`, `m`, `s`, `ms`, at most five digits each — a strict subset of Go's
 * `time.ParseDuration`, so every valid value means the same thing everywhere.
 * @module
 */

const DURATION_PATTERN = /^([0-9]{1,5}(h|m|s|ms)){1,4}$/;
// "ms" must be tried before "m": "10ms" is ten milliseconds, not ten minutes and a stray "s".
const COMPONENT_PATTERN = /([0-9]{1,5})(ms|h|m|s)/g;
const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1 };

/** The result of {@linkcode parseDuration}. */
export type DurationResult = { ok: true; ms: number } | { ok: false; error: string };

/**
 * Parses a Gateway API duration into milliseconds.
 *
 * @example
 * ```ts
 * import { parseDuration } from "./duration.ts";
 * parseDuration("1m30s"); // { ok: true, ms: 90000 }
 * parseDuration("1.5s"); // { ok: false, error: "Cannot parse duration: ..." }
 * ```
 */
export function parseDuration(value: string): DurationResult {
  if (!DURATION_PATTERN.test(value)) {
    return {
      ok: false,
      error: `Cannot parse duration: current value is ${
        JSON.stringify(value)
      }, expected one to four components of 1-5 digits and a unit h, m, s or ms (e.g. "1m30s")`,
    };
  }
  let ms = 0;
  for (const [, digits, unit] of value.matchAll(COMPONENT_PATTERN)) {
    ms += Number(digits) * UNIT_MS[unit];
  }
  return { ok: true, ms };
}
