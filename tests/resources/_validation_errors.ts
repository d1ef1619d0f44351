/**
 * Test helper: the formatted errors of an invalid validation result.
 * @module
 */
import { formatValidationError, type ValidationResult } from "../../src/resources/validate.ts";

/** The formatted errors of an invalid result; throws on any other outcome. */
export function errorsOf(result: ValidationResult): string[] {
  if (result.ok || result.ignored) {
    throw new Error(`Expected an invalid object, got ${JSON.stringify(result)}`);
  }
  return result.errors.map(formatValidationError);
}
