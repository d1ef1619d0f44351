/**
 * Recursive `Object.freeze` for the translate result.
 * @module
 */

/**
 * Freezes `value` and everything reachable from it, and returns it. Objects
 * already frozen are not walked again, so shared sub-objects (a match listed
 * under several virtual hosts) cost one visit.
 *
 * @example
 * ```ts
 * import { deepFreeze } from "./deep_freeze.ts";
 * const frozen = deepFreeze({ a: [1, 2] });
 * Object.isFrozen(frozen.a); // true
 * ```
 */
export function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== "object" || Object.isFrozen(value)) return value;
  Object.freeze(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) deepFreeze(value[i]);
  } else {
    // for...in allocates no key array; results hold only plain own-property objects.
    for (const key in value) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}
