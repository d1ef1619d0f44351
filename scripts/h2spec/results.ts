/**
 * h2spec's JUnit report read back into cases, and the verdict of a run: each
 * failed case either sits on the allow-list for its target (with the reason
 * it cannot pass there) or fails the run.
 *
 * @example
 * ```ts
 * import { judge, parseJunit } from "./results.ts";
 * const xml = `<testsuites><testsuite package="http2/3.5">
 *   <testcase package="http2/3.5" classname="Sends invalid connection preface">
 *   <error>Connection closed</error></testcase></testsuite></testsuites>`;
 * const cases = parseJunit(xml);
 * console.log(cases[0].id); // "http2/3.5: Sends invalid connection preface"
 * console.log(judge("h2c", cases, []).unexpected.length); // 1
 * ```
 * @module
 */

/** One h2spec case as its report gives it. */
export interface H2specCase {
  /** `section: title`, e.g. `http2/5.1: closed: Sends a DATA frame`. */
  id: string;
  outcome: "passed" | "failed" | "skipped";
  /** What h2spec expected and saw, for a failed case. */
  detail: string;
}

/** A failure that cannot be fixed on one kind of target, and why. */
export interface AllowedFailure {
  /** Targets it applies to (names as the runner gives them). */
  targets: readonly string[];
  /** The case's id (see {@linkcode H2specCase.id}). */
  id: string;
  reason: string;
}

/** The counts of a run and the failures no allow-list entry covers. */
export interface Verdict {
  passed: number;
  failed: number;
  skipped: number;
  allowed: H2specCase[];
  unexpected: H2specCase[];
}

const unescape = (s: string) =>
  s.replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&quot;", '"')
    .replaceAll("&#39;", "'").replaceAll("&#34;", '"').replaceAll("&#xA;", "\n")
    .replaceAll("&amp;", "&");

/** The cases of an h2spec JUnit report, in report order. */
export function parseJunit(xml: string): H2specCase[] {
  const cases: H2specCase[] = [];
  const testcase = /<testcase\s([^>]*?)(\/>|>([\s\S]*?)<\/testcase>)/g;
  for (const match of xml.matchAll(testcase)) {
    const attrs = match[1];
    const section = /package="([^"]*)"/.exec(attrs)?.[1] ?? "?";
    const title = unescape(/classname="([^"]*)"/.exec(attrs)?.[1] ?? "?");
    const body = match[3] ?? "";
    const problem = /<(failure|error)[^>]*>([\s\S]*?)<\/\1>/.exec(body);
    const outcome = problem ? "failed" : /<skipped/.test(body) ? "skipped" : "passed";
    cases.push({ id: `${section}: ${title}`, outcome, detail: unescape(problem?.[2] ?? "") });
  }
  return cases;
}

/** Counts `cases` and sorts the failures of `target` into allowed and unexpected. */
export function judge(
  target: string,
  cases: readonly H2specCase[],
  allowList: readonly AllowedFailure[],
): Verdict {
  const verdict: Verdict = { passed: 0, failed: 0, skipped: 0, allowed: [], unexpected: [] };
  for (const c of cases) {
    verdict[c.outcome]++;
    if (c.outcome !== "failed") continue;
    const allowed = allowList.some((a) => a.id === c.id && a.targets.includes(target));
    (allowed ? verdict.allowed : verdict.unexpected).push(c);
  }
  return verdict;
}
