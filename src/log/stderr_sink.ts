/**
 * Standard error as the logger's default destination, with batching for
 * the lines that come by the thousand: one `write` system call a line cost
 * about 10 us here, which access logs (a line per request) paid on every
 * request. Lines at `info` and `debug` are collected and written together at
 * most {@linkcode BATCH_DELAY_MS} later or once {@linkcode BATCH_BYTES} are
 * waiting; a `warn` or `error` line first writes whatever waits and then
 * itself, at once, so the lines that matter are never late or out of order.
 * The batch is also written when the process unloads.
 *
 * The one buffer is module state on purpose: every logger of a process (or
 * of a worker) writes to the same stream, and one buffer keeps their lines
 * in order.
 *
 * @example
 * ```ts
 * import { stderrSink } from "./stderr_sink.ts";
 * stderrSink().write("a batched line", false);
 * stderrSink().write("an urgent line", true);
 * ```
 * @module
 */

/** The longest a batched line waits, in milliseconds. */
export const BATCH_DELAY_MS = 10;
/** Bytes waiting that make a batch go out at once. */
export const BATCH_BYTES = 16 * 1024;

/** Where log lines go. */
export interface LineSink {
  /** Writes `line` (no newline); `urgent` lines, and everything before them, go out at once. */
  write(line: string, urgent: boolean): void;
  /** Writes whatever waits. */
  flush(): void;
}

/**
 * Runs `callback` once after `ms`, unless cancelled; it must not keep the
 * process alive. (The log room sits beside the time room, so it takes a
 * function rather than a `Clock`: tests pass their fake clock's `setTimeout`.)
 */
export type Schedule = (callback: () => void, ms: number) => { cancel(): void };

const systemSchedule: Schedule = (callback, ms) => {
  const id = setTimeout(callback, ms);
  Deno.unrefTimer(id as unknown as number);
  return { cancel: () => clearTimeout(id) };
};

const encoder = new TextEncoder();

function writeAll(text: string): void {
  const bytes = encoder.encode(text);
  try {
    for (let at = 0; at < bytes.length;) at += Deno.stderr.writeSync(bytes.subarray(at));
  } catch {
    // A closed standard error must not take the process down with it.
  }
}

/** A sink that batches non-urgent lines; {@linkcode stderrSink} is the one on standard error. */
export class BatchedSink implements LineSink {
  readonly #writeText: (text: string) => void;
  readonly #schedule: Schedule;
  #pending: string[] = [];
  #bytes = 0;
  #timer: { cancel(): void } | undefined;

  /** `writeText` gets whole batches (lines ending in newlines). */
  constructor(writeText: (text: string) => void, schedule: Schedule = systemSchedule) {
    this.#writeText = writeText;
    this.#schedule = schedule;
  }

  write(line: string, urgent: boolean): void {
    if (urgent) {
      this.#pending.push(line, "\n");
      this.flush();
      return;
    }
    this.#pending.push(line, "\n");
    this.#bytes += line.length + 1;
    if (this.#bytes >= BATCH_BYTES) this.flush();
    else if (this.#timer === undefined) {
      this.#timer = this.#schedule(() => this.flush(), BATCH_DELAY_MS);
    }
  }

  flush(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
    if (this.#pending.length === 0) return;
    const text = this.#pending.join("");
    this.#pending = [];
    this.#bytes = 0;
    this.#writeText(text);
  }
}

let sink: BatchedSink | undefined;

/** The process's (or worker's) standard-error sink, created on first use. */
export function stderrSink(): LineSink {
  if (sink === undefined) {
    const created = new BatchedSink(writeAll);
    globalThis.addEventListener("unload", () => created.flush());
    sink = created;
  }
  return sink;
}
