/**
 * The one structured logger. Every module logs through a `Logger`; the format
 * (one JSON object a line, or `text`) and the level are set once from the
 * command line. `translate` never logs: it returns problems instead.
 *
 * @example
 * ```ts
 * import { createLogger } from "./logger.ts";
 * const log = createLogger({ level: "info", format: "json" }).child({ component: "source" });
 * log.info("manifests loaded", { files: 3 });
 * ```
 * @module
 */

import { stderrSink } from "./stderr_sink.ts";

/** Severity levels, lowest first. */
export type LogLevel = "debug" | "info" | "warn" | "error";
/** Output formats. */
export type LogFormat = "json" | "text";

/** Structured fields attached to a log line. */
export type LogFields = Record<string, unknown>;

/** A structured logger. */
export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger;
  /** Whether lines at `level` are written. */
  enabled(level: LogLevel): boolean;
}

/** Options of {@linkcode createLogger}. */
export interface LoggerOptions {
  level?: LogLevel;
  format?: LogFormat;
  /**
   * Where lines go. Default: standard error, `info` and `debug` lines in
   * batches at most 10 ms late, `warn` and `error` at once (`stderr_sink.ts`).
   */
  write?: (line: string) => void;
  /** Clock for the `time` field. */
  now?: () => Date;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Whether `value` names a log level. */
export function isLogLevel(value: string): value is LogLevel {
  return value in RANK;
}

function errorFields(value: unknown): unknown {
  if (value instanceof Error) {
    return { name: value.name, message: value.message };
  }
  return value;
}

/**
 * The time of a line as ISO text, formatted once per millisecond: with an
 * access log on, every request writes a line, and formatting a `Date` was
 * a visible share of each one.
 */
function systemTime(): () => string {
  let at = NaN;
  let text = "";
  return () => {
    const now = Date.now();
    if (now !== at) {
      at = now;
      text = new Date(now).toISOString();
    }
    return text;
  };
}

/** `fields` with errors as `{ name, message }`, or `fields` itself when it holds none. */
function withErrorFields(fields: LogFields): LogFields {
  let mapped: LogFields | undefined;
  for (const key in fields) {
    if (fields[key] instanceof Error) (mapped ??= { ...fields })[key] = errorFields(fields[key]);
  }
  return mapped ?? fields;
}

/** Creates a logger writing one line per call. */
export function createLogger(options: LoggerOptions = {}, base: LogFields = {}): Logger {
  const min = RANK[options.level ?? "info"];
  const format = options.format ?? "json";
  const custom = options.write;
  const sink = custom === undefined ? stderrSink() : undefined;
  const write = (line: string, level: LogLevel) =>
    sink === undefined ? custom!(line) : sink.write(line, RANK[level] >= RANK.warn);
  const customNow = options.now;
  const time = customNow === undefined ? systemTime() : () => customNow().toISOString();
  // The base fields are the same on every line: their errors are mapped once.
  const shared = withErrorFields(base);

  const emit = (level: LogLevel, msg: string, fields?: LogFields) => {
    if (RANK[level] < min) return;
    const own = fields === undefined ? undefined : withErrorFields(fields);
    if (format === "json") {
      // One object in key order time, level, msg, base, fields (a field overrides the base).
      write(JSON.stringify({ time: time(), level, msg, ...shared, ...own }), level);
    } else {
      const rest = Object.entries({ ...shared, ...own })
        .map(([k, v]) => `${k}=${typeof v === "string" ? JSON.stringify(v) : JSON.stringify(v)}`)
        .join(" ");
      write(
        `${time()} ${level.toUpperCase().padEnd(5)} ${msg}${rest ? " " + rest : ""}`,
        level,
      );
    }
  };

  return {
    debug: (msg, fields) => emit("debug", msg, fields),
    info: (msg, fields) => emit("info", msg, fields),
    warn: (msg, fields) => emit("warn", msg, fields),
    error: (msg, fields) => emit("error", msg, fields),
    child: (fields) => createLogger(options, { ...base, ...fields }),
    enabled: (level) => RANK[level] >= min,
  };
}

/** A logger that drops every line (tests, benchmarks). */
export const silentLogger: Logger = createLogger({ level: "error", write: () => {} });
