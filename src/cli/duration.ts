/**
 * Durations on the command line, written the way Kubernetes and Go tools write
 * them (`15s`, `500ms`, `1m30s`), so flags read the same as the manifests the
 * gateway serves (`timeouts.request: 10s`). This is Go's `time.ParseDuration`
 * grammar (fractions allowed: `1.5s`), wider than the Gateway API's
 * (`resources/duration.ts`), which manifests are held to by the spec.
 *
 * @example
 * ```ts
 * import { parseFlagDuration } from "./duration.ts";
 * parseFlagDuration("1m30s"); // 90000
 * ```
 * @module
 */

import { DURATION_UNIT_MS } from "../resources/duration.ts";

const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;

/**
 * Parses a duration such as `15s`, `250ms`, `1m30s` or `0` into milliseconds.
 * Returns `undefined` when the text is not a duration, so callers can name the
 * flag in their own error message.
 */
export function parseFlagDuration(text: string): number | undefined {
  const value = text.trim();
  if (value === "0") return 0;
  if (value === "") return undefined;
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < value.length) {
    const start = PART.lastIndex;
    const part = PART.exec(value);
    if (!part || part.index !== start) return undefined;
    total += Number(part[1]) * DURATION_UNIT_MS[part[2]];
  }
  if (!Number.isFinite(total)) return undefined;
  return Math.round(total);
}

/** Formats milliseconds the way {@linkcode parseFlagDuration} reads them (`1m30s`, `250ms`). */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0s";
  if (ms % 1000 !== 0) return `${ms}ms`;
  let seconds = ms / 1000;
  const hours = Math.floor(seconds / 3600);
  seconds -= hours * 3600;
  const minutes = Math.floor(seconds / 60);
  seconds -= minutes * 60;
  return `${hours ? `${hours}h` : ""}${minutes ? `${minutes}m` : ""}${
    seconds ? `${seconds}s` : ""
  }`;
}
