/**
 * Starts the real gateway process (`deno run main.ts run ...`) for end-to-end
 * tests, on free loopback ports, waits until `/readyz` says ready, and stops
 * it. Every test that needs the real binary behaviour (sockets, signals, exit
 * codes, logs) should use this rather than spawning Deno itself.
 *
 * @example
 * ```ts ignore
 * import { freePort, startGateway } from "./gateway_process.ts";
 * await using gw = await startGateway({ manifests: dir });
 * const res = await fetch(`${gw.adminUrl}/config`);
 * // ...
 * const status = await gw.stop(); // SIGTERM, waits for exit
 * ```
 *
 * Defaults chosen for tests: `--listen-host 127.0.0.1`, `--drain-delay 0s`,
 * `--shutdown-timeout 5s`, `--log-level debug`, `--log-format json`. Extra
 * `args` come last, so they override these (the last value of a flag wins).
 * @module
 */
import { startTaskEnv, startTaskFlags } from "../../scripts/start_task_flags.ts";

/** The path of `main.ts`. */
export const MAIN_PATH: string = new URL("../../main.ts", import.meta.url).pathname;

/**
 * The Deno flags the gateway process runs with: those of the `start` task in
 * `deno.json` (the words between `run` and `main.ts`), so tests run the same
 * process a user starts and cannot drift from it.
 */
export const GATEWAY_PERMISSIONS: readonly string[] = Object.freeze(
  startTaskFlags(new URL("../../", import.meta.url).pathname),
);

/** The environment the `start` task sets (glibc's allocator settings), for the same reason. */
export const GATEWAY_ENV: Readonly<Record<string, string>> = Object.freeze(
  startTaskEnv(new URL("../../", import.meta.url).pathname),
);

/**
 * Where test ports come from: below the kernel's ephemeral range. A port the
 * kernel handed out (`port: 0`) is in that range, and on a busy machine an
 * outgoing connection may take it as its local port between our check and
 * the gateway's bind ("Address already in use"). Below the range only
 * another listener can take it, and each port goes out once per process.
 */
function testPortRange(): [number, number] {
  try {
    const [low] = Deno.readTextFileSync("/proc/sys/net/ipv4/ip_local_port_range")
      .trim().split(/\s+/).map(Number);
    if (Number.isInteger(low) && low > 12_000) return [10_000, low - 1];
  } catch {
    // Deno reads /proc only with --allow-all (`deno task test` has less): on
    // Linux, assume the kernel's default range (32768-60999). Elsewhere, or
    // without /proc: the kernel's choice below.
    if (Deno.build.os === "linux") return [10_000, 32_767];
  }
  return [0, 0];
}

const [PORT_LOW, PORT_HIGH] = testPortRange();
// Ports `fetch` refuses to reach (the Fetch standard's "bad ports") at or
// above PORT_LOW: a gateway given one would be unreachable by the tests
// ("Requests to port 10080 are blocked").
const handedOut = new Set<number>([10080]);

function tryListen(hostname: string, port: number): Deno.Listener | undefined {
  try {
    return Deno.listen({ hostname, port });
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse || error instanceof Deno.errors.PermissionDenied) {
      return undefined;
    }
    throw error;
  }
}

/** Listens on a port nobody uses now and that this process has not handed out before. */
function listenOnTestPort(hostname: string): Deno.Listener {
  for (let attempt = 0; PORT_HIGH > 0 && attempt < 1_000; attempt++) {
    const port = PORT_LOW + Math.floor(Math.random() * (PORT_HIGH - PORT_LOW + 1));
    if (handedOut.has(port)) continue;
    const listener = tryListen(hostname, port);
    if (listener === undefined) continue;
    handedOut.add(port);
    return listener;
  }
  const listener = Deno.listen({ hostname, port: 0 });
  handedOut.add((listener.addr as Deno.NetAddr).port);
  return listener;
}

/**
 * A port that is free on `hostname` (default 127.0.0.1) and out of the
 * kernel's ephemeral range, so only another test's listener could take it
 * before the caller binds it.
 */
export function freePort(hostname = "127.0.0.1"): number {
  const listener = listenOnTestPort(hostname);
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** `n` distinct free ports (see {@linkcode freePort}). */
export function freePorts(n: number): number[] {
  const listeners = Array.from({ length: n }, () => listenOnTestPort("127.0.0.1"));
  const ports = listeners.map((l) => (l.addr as Deno.NetAddr).port);
  for (const l of listeners) l.close();
  return ports;
}

/** Options of {@linkcode startGateway}. */
export interface GatewayProcessOptions {
  /** Directory for `--manifests` (files source). */
  manifests?: string;
  /** Extra flags, appended last. */
  args?: string[];
  /**
   * A command the gateway runs under, e.g. `["prlimit", "--nofile=256", "--"]`;
   * it must exec the rest, so the pid stays the gateway's.
   */
  prefix?: string[];
  /** Extra environment (the parent's environment is inherited). */
  env?: Record<string, string>;
  /**
   * Wait for the admin `/readyz` 200 (default), or only for `/healthz`
   * (`"healthz"`), or for the telemetry `/readyz` (`"telemetry"`, when the
   * admin API wants a token or TLS), or not at all.
   */
  waitFor?: "readyz" | "healthz" | "telemetry" | "nothing";
  /**
   * Deno flags after the start task's, e.g. `--inspect=127.0.0.1:9229`; a
   * `--v8-flags=...` here adds to the start task's V8 flags and wins where
   * both set one (Deno passes them to V8 in order).
   */
  denoFlags?: string[];
  /** The `main.ts` to run; default this checkout's (benchmarks may run another checkout's). */
  mainPath?: string;
  /** How long to wait for it. Default 60 s (first runs may compile npm packages; the machine may be busy). */
  startTimeoutMs?: number;
}

/** A running gateway process. */
export interface GatewayProcess extends AsyncDisposable {
  readonly pid: number;
  readonly adminPort: number;
  readonly telemetryPort: number;
  /** `http://127.0.0.1:<adminPort>`. */
  readonly adminUrl: string;
  /** `http://127.0.0.1:<telemetryPort>`. */
  readonly telemetryUrl: string;
  /** Resolves when the process exits. */
  readonly status: Promise<Deno.CommandStatus>;
  /** Standard-error lines so far (the structured log; JSON lines by default). */
  logs(): string[];
  /** Parsed JSON log lines so far (non-JSON lines skipped). */
  logRecords(): Record<string, unknown>[];
  /** Resolves with the first log record matching `predicate`, or rejects after `timeoutMs` (default 60 s). */
  waitForLog(
    predicate: (record: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  /** GET (or `init`) an admin path, e.g. `/config`. */
  admin(path: string, init?: RequestInit): Promise<Response>;
  /** Sends `signal`. */
  kill(signal?: Deno.Signal): void;
  /** SIGTERM, then waits up to `timeoutMs` (default 15 s; SIGKILL after) for the exit status. */
  stop(timeoutMs?: number): Promise<Deno.CommandStatus>;
}

const MAX_LOG_LINES = 20_000;

/**
 * The lines of one output stream (the last {@linkcode MAX_LOG_LINES}), and a
 * promise of the next ones: waiting for a log line or for readiness wakes on
 * output rather than on a polling timer.
 */
class LineLog {
  readonly lines: string[] = [];
  /** Lines ever received; `lines` holds the last of them. */
  total = 0;
  #wake: (() => void) | undefined;
  #next: Promise<void> | undefined;

  push(parts: string[]): void {
    if (parts.length === 0) return;
    this.lines.push(...parts);
    this.total += parts.length;
    if (this.lines.length > MAX_LOG_LINES) {
      this.lines.splice(0, this.lines.length - MAX_LOG_LINES);
    }
    this.#wake?.();
    this.#wake = this.#next = undefined;
  }

  /** Resolves when more lines arrive. */
  next(): Promise<void> {
    return this.#next ??= new Promise((resolve) => this.#wake = resolve);
  }
}

async function collectLines(stream: ReadableStream<Uint8Array>, into: LineLog): Promise<void> {
  let pending = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    pending += chunk;
    const parts = pending.split("\n");
    pending = parts.pop() ?? "";
    into.push(parts);
  }
  if (pending) into.push([pending]);
}

function parseRecords(lines: string[]): Record<string, unknown>[] {
  const records: Record<string, unknown>[] = [];
  for (const line of lines) {
    if (!line.startsWith("{")) continue;
    try {
      records.push(JSON.parse(line));
    } catch {
      // A partial or foreign line; the raw text is still in logs().
    }
  }
  return records;
}

/** Waits `ms`, or less when `wake` settles first; no timer is left behind. */
async function sleepUnless(ms: number, wake: Promise<unknown>): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const slept = new Promise<void>((resolve) => timer = setTimeout(resolve, ms));
  try {
    await Promise.race([slept, wake]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Spawns the gateway and waits for it (see {@linkcode GatewayProcessOptions.waitFor}).
 * Throws with the process's log attached when it exits early or never gets ready.
 */
export async function startGateway(options: GatewayProcessOptions = {}): Promise<GatewayProcess> {
  const [adminPort, telemetryPort] = freePorts(2);
  const args = [
    "run",
    ...GATEWAY_PERMISSIONS,
    ...(options.denoFlags ?? []),
    options.mainPath ?? MAIN_PATH,
    "run",
    ...(options.manifests ? ["--manifests", options.manifests] : []),
    "--admin-addr",
    `127.0.0.1:${adminPort}`,
    "--telemetry-addr",
    `127.0.0.1:${telemetryPort}`,
    "--listen-host",
    "127.0.0.1",
    "--drain-delay",
    "0s",
    "--shutdown-timeout",
    "5s",
    "--log-level",
    "debug",
    "--log-format",
    "json",
    ...(options.args ?? []),
  ];
  const prefix = options.prefix ?? [];
  const child = new Deno.Command(prefix.length > 0 ? prefix[0] : Deno.execPath(), {
    args: prefix.length > 0 ? [...prefix.slice(1), Deno.execPath(), ...args] : args,
    env: { NO_COLOR: "1", ...GATEWAY_ENV, ...options.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new LineLog();
  const stdout = new LineLog();
  const lines = stderr.lines;
  const drained = Promise.all([
    collectLines(child.stderr, stderr),
    collectLines(child.stdout, stdout),
  ]);
  let exited: Deno.CommandStatus | undefined;
  const status = child.status.then(async (s) => {
    exited = s;
    await drained.catch(() => {});
    return s;
  });
  const adminUrl = `http://127.0.0.1:${adminPort}`;

  const logs = () => [...stdout.lines, ...lines];
  const gateway: GatewayProcess = {
    pid: child.pid,
    adminPort,
    telemetryPort,
    adminUrl,
    telemetryUrl: `http://127.0.0.1:${telemetryPort}`,
    status,
    logs,
    logRecords: () => parseRecords(lines),
    async waitForLog(predicate, timeoutMs = 60_000) {
      const deadline = performance.now() + timeoutMs;
      // Each line is looked at once, when it arrives (earlier ones first).
      let seen = stderr.total - lines.length;
      while (performance.now() < deadline) {
        const fresh = lines.slice(Math.max(0, seen - (stderr.total - lines.length)));
        seen = stderr.total;
        const found = parseRecords(fresh).find(predicate);
        if (found) return found;
        if (exited) break;
        await sleepUnless(deadline - performance.now(), Promise.race([stderr.next(), status]));
      }
      throw new Error(`Cannot find the expected log line; log:\n${logs().join("\n")}`);
    },
    admin: (path, init) => fetch(`${adminUrl}${path}`, init),
    kill(signal = "SIGTERM") {
      if (!exited) {
        try {
          child.kill(signal);
        } catch {
          // Already gone between the check and the kill.
        }
      }
    },
    async stop(timeoutMs = 15_000) {
      gateway.kill("SIGTERM");
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timedOut = new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), timeoutMs);
      });
      const first = await Promise.race([status, timedOut]);
      clearTimeout(timer);
      if (first === "timeout") {
        gateway.kill("SIGKILL");
        await status;
        throw new Error(
          `Cannot stop the gateway within ${timeoutMs} ms of SIGTERM; log:\n${logs().join("\n")}`,
        );
      }
      return first;
    },
    async [Symbol.asyncDispose]() {
      if (!exited) {
        gateway.kill("SIGKILL");
        await status;
      }
    },
  };

  const waitFor = options.waitFor ?? "readyz";
  if (waitFor === "nothing") return gateway;
  const path = waitFor === "healthz" ? "/healthz" : "/readyz";
  const base = waitFor === "telemetry" ? gateway.telemetryUrl : adminUrl;
  const deadline = performance.now() + (options.startTimeoutMs ?? 60_000);
  let lastAnswer = "no answer";
  while (performance.now() < deadline && !exited) {
    try {
      const res = await fetch(`${base}${path}`);
      lastAnswer = `${res.status} ${await res.text()}`;
      if (res.ok) return gateway;
    } catch (error) {
      lastAnswer = error instanceof Error ? error.message : String(error);
    }
    // Readiness comes with log lines ("configuration served"): ask again at
    // the next one, or after 50 ms without any.
    await sleepUnless(50, Promise.race([stderr.next(), status]));
  }
  await gateway[Symbol.asyncDispose]();
  throw new Error(
    `Cannot start the gateway: ${path} never answered 200 (last: ${lastAnswer}; exit: ${
      exited ? exited.code : "still running"
    }); log:\n${logs().join("\n")}`,
  );
}

/** The outcome of {@linkcode runGatewayCommand}. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs one short-lived command of the gateway binary (`translate`, `version`, `--help`). */
export function runGatewayCommand(
  args: string[],
  env: Record<string, string> = {},
): Promise<CommandResult> {
  return runDeno(["run", ...GATEWAY_PERMISSIONS, MAIN_PATH, ...args], { env });
}

/** Runs `deno` with `args` to its end, without colours; its exit code and output as text. */
export async function runDeno(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): Promise<CommandResult> {
  const output = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: options.cwd,
    env: { NO_COLOR: "1", ...options.env },
    stdin: "null",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}
