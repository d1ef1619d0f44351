/**
 * A local stand-in for `jsr:@std/assert` (JSR is not reachable from every machine
 * this project is built on). It keeps the names and signatures of the subset the
 * tests use, built on `node:assert`, so pointing `@std/assert` at JSR in
 * `deno.json` is a one-line change.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * assertEquals({ a: 1 }, { a: 1 });
 * ```
 * @module
 */
import nodeAssert from "node:assert";

/** Error thrown when an assertion fails. */
export class AssertionError extends Error {
  /** Creates an assertion error with a message. */
  constructor(message: string) {
    super(message);
    this.name = "AssertionError";
  }
}

function wrap(fn: () => void, msg?: string): void {
  try {
    fn();
  } catch (err) {
    if (err instanceof Error && err.name === "AssertionError") {
      throw new AssertionError(msg ? `${msg}: ${err.message}` : err.message);
    }
    throw err;
  }
}

/** Fails when `expr` is falsy. */
export function assert(expr: unknown, msg = ""): asserts expr {
  if (!expr) throw new AssertionError(msg || "Expected value to be truthy");
}

/** Fails when `expr` is truthy. */
export function assertFalse(expr: unknown, msg = ""): void {
  if (expr) throw new AssertionError(msg || "Expected value to be falsy");
}

/** Deep, strict structural equality. */
export function assertEquals<T>(actual: T, expected: T, msg?: string): void {
  wrap(() => nodeAssert.deepStrictEqual(actual, expected), msg);
}

/** Deep, strict structural inequality. */
export function assertNotEquals<T>(actual: T, expected: T, msg?: string): void {
  wrap(() => nodeAssert.notDeepStrictEqual(actual, expected), msg);
}

/** `Object.is` equality. */
export function assertStrictEquals<T>(
  actual: unknown,
  expected: T,
  msg?: string,
): asserts actual is T {
  wrap(() => nodeAssert.strictEqual(actual, expected), msg);
}

/** Fails on `null` and `undefined`. */
export function assertExists<T>(actual: T, msg?: string): asserts actual is NonNullable<T> {
  if (actual === undefined || actual === null) {
    throw new AssertionError(msg || `Expected actual: "${actual}" to not be null or undefined`);
  }
}

/** Fails unless `actual` matches `expected`. */
export function assertMatch(actual: string, expected: RegExp, msg?: string): void {
  if (!expected.test(actual)) {
    throw new AssertionError(msg || `Expected actual: "${actual}" to match: "${expected}"`);
  }
}

/** Fails when `actual` matches `expected`. */
export function assertNotMatch(actual: string, expected: RegExp, msg?: string): void {
  if (expected.test(actual)) {
    throw new AssertionError(msg || `Expected actual: "${actual}" to not match: "${expected}"`);
  }
}

/** Fails unless `actual` contains `expected`. */
export function assertStringIncludes(actual: string, expected: string, msg?: string): void {
  if (!actual.includes(expected)) {
    throw new AssertionError(msg || `Expected actual: "${actual}" to contain: "${expected}"`);
  }
}

/** Fails unless every element of `expected` is deeply equal to some element of `actual`. */
export function assertArrayIncludes<T>(
  actual: ArrayLike<T>,
  expected: ArrayLike<T>,
  msg?: string,
): void {
  const items = Array.from(actual);
  for (const e of Array.from(expected)) {
    const found = items.some((a) => {
      try {
        nodeAssert.deepStrictEqual(a, e);
        return true;
      } catch {
        return false;
      }
    });
    if (!found) {
      throw new AssertionError(
        msg || `Expected actual: ${Deno.inspect(actual)} to include: ${Deno.inspect(e)}`,
      );
    }
  }
}

/** Fails unless `actual` is a subset-match of `expected`. */
export function assertObjectMatch(
  actual: Record<PropertyKey, unknown>,
  expected: Record<PropertyKey, unknown>,
  msg?: string,
): void {
  wrap(() => nodeAssert.partialDeepStrictEqual(actual, expected), msg);
}

/** Fails unless `actual > expected`. */
export function assertGreater<T>(actual: T, expected: T, msg?: string): void {
  if (!(actual > expected)) throw new AssertionError(msg || `Expect ${actual} > ${expected}`);
}

/** Fails unless `actual >= expected`. */
export function assertGreaterOrEqual<T>(actual: T, expected: T, msg?: string): void {
  if (!(actual >= expected)) throw new AssertionError(msg || `Expect ${actual} >= ${expected}`);
}

/** Fails unless `actual < expected`. */
export function assertLess<T>(actual: T, expected: T, msg?: string): void {
  if (!(actual < expected)) throw new AssertionError(msg || `Expect ${actual} < ${expected}`);
}

/** Fails unless `actual <= expected`. */
export function assertLessOrEqual<T>(actual: T, expected: T, msg?: string): void {
  if (!(actual <= expected)) throw new AssertionError(msg || `Expect ${actual} <= ${expected}`);
}

/** Fails unless `|actual - expected| <= tolerance`. */
export function assertAlmostEquals(
  actual: number,
  expected: number,
  tolerance = 1e-7,
  msg?: string,
): void {
  if (Math.abs(actual - expected) > tolerance) {
    throw new AssertionError(
      msg || `Expected actual: "${actual}" to be close to "${expected}": delta > ${tolerance}`,
    );
  }
}

/** Fails unless `actual` is an instance of `expectedType`. */
// deno-lint-ignore no-explicit-any
export function assertInstanceOf<T extends abstract new (...args: any[]) => any>(
  actual: unknown,
  expectedType: T,
  msg?: string,
): asserts actual is InstanceType<T> {
  if (!(actual instanceof expectedType)) {
    throw new AssertionError(msg || `Expected object to be an instance of "${expectedType.name}"`);
  }
}

/** Always fails. */
export function fail(msg?: string): never {
  throw new AssertionError(msg ? `Failed assertion: ${msg}` : "Failed assertion");
}

/** Fails unless `fn` throws (optionally an instance of `ErrorClass` whose message includes `msgIncludes`). */
export function assertThrows(
  fn: () => unknown,
  // deno-lint-ignore no-explicit-any
  ErrorClass?: abstract new (...args: any[]) => Error,
  msgIncludes?: string,
  msg?: string,
): Error {
  try {
    fn();
  } catch (err) {
    checkError(err, ErrorClass, msgIncludes, msg);
    return err as Error;
  }
  throw new AssertionError(msg || "Expected function to throw");
}

/** Fails unless the promise returned by `fn` rejects. */
export async function assertRejects(
  fn: () => PromiseLike<unknown>,
  // deno-lint-ignore no-explicit-any
  ErrorClass?: abstract new (...args: any[]) => Error,
  msgIncludes?: string,
  msg?: string,
): Promise<Error> {
  try {
    await fn();
  } catch (err) {
    checkError(err, ErrorClass, msgIncludes, msg);
    return err as Error;
  }
  throw new AssertionError(msg || "Expected function to reject");
}

function checkError(
  err: unknown,
  // deno-lint-ignore no-explicit-any
  ErrorClass?: abstract new (...args: any[]) => Error,
  msgIncludes?: string,
  msg?: string,
): void {
  if (ErrorClass && !(err instanceof ErrorClass)) {
    throw new AssertionError(
      msg ||
        `Expected error to be instance of "${ErrorClass.name}", but was "${Deno.inspect(err)}"`,
    );
  }
  if (msgIncludes !== undefined) {
    const message = err instanceof Error ? err.message : String(err);
    if (!message.includes(msgIncludes)) {
      throw new AssertionError(
        msg || `Expected error message to include "${msgIncludes}", but got "${message}"`,
      );
    }
  }
}
