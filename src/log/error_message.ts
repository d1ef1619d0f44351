/**
 * One line describing a thrown value, for log fields, problems and status
 * messages: an `Error`'s message, anything else as a string. Every layer uses
 * it, so it sits beside the logger at the bottom.
 *
 * @example
 * ```ts
 * import { errorMessage } from "./error_message.ts";
 * errorMessage(new TypeError("bad port")); // "bad port"
 * errorMessage("plain"); // "plain"
 * ```
 * @module
 */

/** A one-line description of a thrown value. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
