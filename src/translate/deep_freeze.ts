/**
 * Recursive `Object.freeze` for the translate result.
 * @module
 */

/**
 * Freezes `value` and everything reachable from it, and returns it.
 *
 * @example
 * ```ts
 * import { deepFreeze } from "./deep_freeze.ts";
 * const frozen = deepFreeze({ a: [1, 2] });
 * Object.isFrozen(frozen.a); // true
 * ```
 */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) {
      deepFreeze((value as Record<string, unknown>)[key]);
    }
  }
  return value;
}
