/**
 * Gateway API durations (GEP-2257): one to four `<digits><unit>` components,
 * units `h`, `m`, `s`, `ms`, at most five digits each — a strict subset of Go's
 * `time.ParseDuration`, so every valid value means the same thing everywhere.
 * Manifests are held to it because the spec says so; command-line flags read
 * Go's wider grammar (`1.5s`) in `cli/duration.ts`, with the same units.
 * @module
 */

const DURATION_PATTERN = /^([0-9]{1,5}(h|m|s|ms)){1,4}$/;
// "ms" must be tried before "m": "10ms" is ten milliseconds, not ten minutes and a stray "s".
const COMPONENT_PATTERN = /([0-9]{1,5})(ms|h|m|s)/g;
/** Milliseconds per duration unit, for both grammars. */
export const DURATION_UNIT_MS: Readonly<Record<string, number>> = {
  h: 3_600_000,
  m: 60_000,
  s: 1_000,
  ms: 1,
};

/** The result of {@linkcode parseGatewayDuration}. */
export type DurationResult = { ok: true; ms: number } | { ok: false; error: string };

/**
 * Parses a Gateway API duration into milliseconds.
 *
 * @example
 * ```ts
 * import { parseGatewayDuration } from "./duration.ts";
 * parseGatewayDuration("1m30s"); // { ok: true, ms: 90000 }
 * parseGatewayDuration("1.5s"); // { ok: false, error: "Cannot parse duration: ..." }
 * ```
 */
export function parseGatewayDuration(value: string): DurationResult {
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
    ms += Number(digits) * DURATION_UNIT_MS[unit];
  }
  return { ok: true, ms };
}
