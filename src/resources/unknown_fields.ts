/**
 * Finds fields a manifest sets that its kind does not have, and names the
 * nearest known one: `spec.rules[0].matchs` → did you mean `matches`?
 * @module
 */
import type { FieldObject, FieldShape } from "./known_fields.ts";
import type { ValidationError } from "./validate_fields.ts";

/**
 * The errors for every unknown field of `value` under `shape`, at most
 * `limit`. Values of the wrong JSON type are skipped: the kind's validator
 * reports those.
 *
 * @example
 * ```ts
 * import { KNOWN_FIELDS } from "./known_fields.ts";
 * import { unknownFieldErrors } from "./unknown_fields.ts";
 * unknownFieldErrors(KNOWN_FIELDS.HTTPRoute, { spec: { rules: [{ matchs: [] }] } });
 * // [{ field: "spec.rules[0].matchs", message: 'is not a known field; did you mean "matches"?' }]
 * ```
 */
export function unknownFieldErrors(
  shape: FieldObject,
  value: unknown,
  limit = 16,
): ValidationError[] {
  const errors: ValidationError[] = [];
  walk(shape, value, "", errors, limit);
  return errors;
}

function walk(
  shape: FieldShape,
  value: unknown,
  path: string,
  errors: ValidationError[],
  limit: number,
): void {
  if (errors.length >= limit || shape === "leaf" || shape === "map") return;
  if (Array.isArray(shape)) {
    if (!Array.isArray(value)) return;
    value.forEach((item, i) => walk(shape[0], item, `${path}[${i}]`, errors, limit));
    return;
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) return;
  for (const [key, child] of Object.entries(value)) {
    const field = path === "" ? key : `${path}.${key}`;
    if (Object.hasOwn(shape, key)) {
      walk(shape[key], child, field, errors, limit);
      continue;
    }
    const near = nearestName(key, Object.keys(shape));
    errors.push({
      field,
      message: near === undefined
        ? `is not a known field (known: ${Object.keys(shape).join(", ")})`
        : `is not a known field; did you mean "${near}"?`,
    });
    if (errors.length >= limit) return;
  }
}

/**
 * The candidate closest to `name`: the same name in other letter case, else
 * the one at the smallest edit distance, if that distance is at most a
 * third of the name's length (and at least 1).
 *
 * @example
 * ```ts
 * import { nearestName } from "./unknown_fields.ts";
 * nearestName("HttpRoute", ["Gateway", "HTTPRoute"]); // "HTTPRoute"
 * nearestName("xyz", ["matches"]); // undefined
 * ```
 */
export function nearestName(name: string, candidates: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  const sameLetters = candidates.find((c) => c.toLowerCase() === lower);
  if (sameLetters !== undefined) return sameLetters;
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(name.length / 3)) + 1;
  for (const candidate of candidates) {
    const d = editDistance(lower, candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** Levenshtein distance with adjacent transpositions counted as one edit. */
function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 8) return Math.abs(a.length - b.length);
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    rows.push([i]);
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        rows[0].push(j);
        continue;
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, rows[i - 2][j - 2] + 1);
      }
      rows[i].push(d);
    }
  }
  return rows[a.length][b.length];
}
