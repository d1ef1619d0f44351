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
  // Children first: V8 reads the elements of a frozen array far slower than
  // those of a plain one, and the walk reads every element. (Results hold
  // no cycles, so nothing is reached again before it is frozen.)
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) deepFreeze(value[i]);
  } else {
    // for...in allocates no key array; results hold only plain own-property objects.
    for (const key in value) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return Object.freeze(value);
}
