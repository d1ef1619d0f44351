/**
 * Checks a result's status trail (`src/model/status_changes.ts`) against
 * the lists themselves: the statuses of the result before it, less those
 * removed, plus those added, are this result's statuses (the very objects).
 */
import { assert, assertEquals } from "@std/assert";
import type { TranslateResult } from "../../src/model/config.ts";
import { statusTrail } from "../../src/model/status_changes.ts";

/** Whether `result` said what changed since `previous` (and it held); throws when it lied. */
export function checkStatusTrail(
  previous: TranslateResult | undefined,
  result: TranslateResult,
  what: string,
): boolean {
  const changes = statusTrail(result)?.changes;
  if (changes === undefined || previous === undefined) return false;
  assert(
    changes.since === statusTrail(previous)?.version,
    `${what}: changes since the result before`,
  );
  const expected = new Set(previous.statuses);
  for (const status of changes.removed) {
    assert(expected.delete(status), `${what}: removed was there`);
  }
  for (const status of changes.added) {
    assert(!expected.has(status), `${what}: added was not there`);
    expected.add(status);
  }
  const actual = new Set(result.statuses);
  assertEquals(actual.size, result.statuses.length, `${what}: no status twice`);
  assertEquals(actual.size, expected.size, `${what}: as many statuses as the changes say`);
  for (const status of actual) {
    assert(expected.has(status), `${what}: ${status.kind} ${status.name}`);
  }
  return true;
}
