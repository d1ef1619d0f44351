/**
 * Runs a fuzz target over numbered cases: each case gets its own generator
 * seeded from the run's seed and its index, so a failure names the one
 * number that replays it (`--seed S --case I`), and its input in hex.
 * @module
 */
import { caseSeed, hex, Prng } from "./_prng.ts";

/** What one case found wrong; `undefined` when the oracle is satisfied. */
export interface CaseFailure {
  /** The input, latin-1 (printed as hex). */
  input: string;
  message: string;
}

/** A fuzz target: runs one case from its generator. */
export interface FuzzTarget {
  name: string;
  /** Sets up shared state (sockets, processes) once per run. */
  open?(): Promise<void>;
  run(rng: Prng): Promise<CaseFailure | undefined>;
  close?(): Promise<void>;
  /** What the cases did (how many were accepted, reached a backend…), for the printout. */
  summary?(): string;
}

/** One failing case, enough to replay it. */
export interface FuzzFailure extends CaseFailure {
  target: string;
  seed: number;
  index: number;
  caseSeed: number;
}

/** The outcome of a run. */
export interface FuzzReport {
  target: string;
  seed: number;
  cases: number;
  failures: FuzzFailure[];
  elapsedMs: number;
}

/** Options of {@linkcode runFuzz}. */
export interface RunOptions {
  seed: number;
  cases: number;
  /** First case index (to replay one case: `first: I, cases: 1`). */
  first?: number;
  /** Stop after this many failures (default 10). */
  maxFailures?: number;
}

/** Runs `target` over the cases of `options`; never throws for a failing case. */
export async function runFuzz(target: FuzzTarget, options: RunOptions): Promise<FuzzReport> {
  const failures: FuzzFailure[] = [];
  const first = options.first ?? 0;
  const maxFailures = options.maxFailures ?? 10;
  const started = performance.now();
  let ran = 0;
  await target.open?.();
  try {
    for (let index = first; index < first + options.cases; index++) {
      const seed = caseSeed(options.seed, index);
      let failure: CaseFailure | undefined;
      try {
        failure = await target.run(new Prng(seed));
      } catch (error) {
        failure = { input: "", message: `Case threw: ${(error as Error)?.stack ?? error}` };
      }
      ran++;
      if (failure !== undefined) {
        failures.push({
          ...failure,
          target: target.name,
          seed: options.seed,
          index,
          caseSeed: seed,
        });
        if (failures.length >= maxFailures) break;
      }
    }
  } finally {
    await target.close?.();
  }
  return {
    target: target.name,
    seed: options.seed,
    cases: ran,
    failures,
    elapsedMs: performance.now() - started,
  };
}

/** A failure as text: what went wrong, how to replay it, and the input in hex. */
export function describeFailure(f: FuzzFailure): string {
  return `${f.target}: ${f.message}\n  replay: deno task fuzz --target ${f.target} --seed ${f.seed} --case ${f.index}` +
    `\n  input (hex): ${hex(f.input)}\n  input (text): ${JSON.stringify(f.input.slice(0, 400))}`;
}
