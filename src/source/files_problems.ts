/**
 * The files source's problems and what was said about them: each new problem
 * is logged once (not again at every re-read), the resolution of some is
 * logged, and a change of the set, even one that changes no object, is
 * signalled so the reconciler reports it.
 *
 * @example
 * ```ts
 * import { ProblemReport } from "./files_problems.ts";
 * import { createLogger } from "../log/logger.ts";
 * let signals = 0;
 * const report = new ProblemReport(createLogger(), () => signals++);
 * report.publish([{ object: "file:a.yaml", message: "Cannot parse YAML" }]);
 * report.publish([{ object: "file:a.yaml", message: "Cannot parse YAML" }]);
 * console.log(signals); // 1: the second read found the same problem
 * ```
 * @module
 */
import type { Logger } from "../log/logger.ts";
import type { Problem } from "../model/config.ts";

/** The current problems, logged once each. */
export class ProblemReport {
  readonly #log: Logger;
  readonly #changed: () => void;
  #problems: Problem[] = [];
  #reported = new Set<string>();

  /** `changed` is called when the set of problems differs from the last one. */
  constructor(log: Logger, changed: () => void) {
    this.#log = log;
    this.#changed = changed;
  }

  /** A copy of the current problems. */
  current(): Problem[] {
    return [...this.#problems];
  }

  /** Replaces the problems with `next`, logging what is new and what was resolved. */
  publish(next: Problem[]): void {
    const keys = new Set(next.map(keyOf));
    const reported = this.#reported;
    for (const p of next) {
      if (!reported.has(keyOf(p))) {
        this.#log.warn("manifest problem", {
          object: p.object,
          field: p.field,
          problem: p.message,
        });
      }
    }
    if (
      reported.size > 0 && next.every((p) => reported.has(keyOf(p))) && keys.size < reported.size
    ) {
      this.#log.info("manifest problems resolved", { remaining: keys.size });
    }
    const changed = keys.size !== reported.size || [...keys].some((k) => !reported.has(k));
    this.#reported = keys;
    this.#problems = next;
    if (changed) this.#changed();
  }
}

function keyOf(p: Problem): string {
  return `${p.object}\u0000${p.field ?? ""}\u0000${p.message}`;
}
