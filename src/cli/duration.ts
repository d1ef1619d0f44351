/**
 * Durations on the command line, written the way Kubernetes and Go tools write
 * them (`15s`, `500ms`, `1m30s`), so flags read the same as the manifests the
 * gateway serves (`timeouts.request: 10s`).
 *
 * @example
 * ```ts
 * import { parseDuration } from "./duration.ts";
 * parseDuration("1m30s"); // 90000
 * ```
 * @module
 */

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;

/**
 * Parses a duration such as `15s`, `250ms`, `1m30s` or `0` into milliseconds.
 * Returns `undefined` when the text is not a duration, so callers can name the
 * flag in their own error message.
 */
export function parseDuration(text: string): number | undefined {
  const value = text.trim();
  if (value === "0") return 0;
  if (value === "") return undefined;
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < value.length) {
    const start = PART.lastIndex;
    const part = PART.exec(value);
    if (!part || part.index !== start) return undefined;
    total += Number(part[1]) * UNIT_MS[part[2]];
  }
  if (!Number.isFinite(total)) return undefined;
  return Math.round(total);
}

/** Formats milliseconds the way {@linkcode parseDuration} reads them (`1m30s`, `250ms`). */
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
