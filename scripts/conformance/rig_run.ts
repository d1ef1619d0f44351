/**
 * Starts the rig (control plane and process kubelet, via `rig up`) and the
 * gateway against it, and tears both down again. Used by
 * `deno task conformance` and `deno task cluster`.
 * @module
 */
import { startTaskFlags } from "../start_task_flags.ts";
import type { RigPaths } from "./rig_build.ts";

/** The pool each Gateway's address comes from: loopback, no setup needed. */
export const ADDRESS_POOL = "127.32.0.0/16";
/** The GatewayClass the rig creates and the suite runs against. */
export const GATEWAY_CLASS = "serval";

/** A child process whose output goes to a log file in the run folder. */
export interface LoggedChild {
  name: string;
  child: Deno.ChildProcess;
  logPath: string;
  /** Settles when the process has exited and its log is flushed. */
  done: Promise<Deno.CommandStatus>;
}

/** Spawns `command args...` with stdout and stderr appended to `logPath`. */
export async function spawnLogged(
  name: string,
  command: string,
  args: string[],
  logPath: string,
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<LoggedChild> {
  const file = await Deno.open(logPath, { create: true, append: true });
  const child = new Deno.Command(command, {
    args,
    cwd: options.cwd,
    env: options.env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = new WritableStream<Uint8Array>({
    write: (chunk) => file.write(chunk).then(() => undefined),
  });
  const merged = mergeStreams(child.stdout, child.stderr);
  const flushed = merged.pipeTo(writer).catch(() => undefined).finally(() => file.close());
  const done = Promise.all([child.status, flushed]).then(([status]) => status);
  return { name, child, logPath, done };
}

function mergeStreams(
  a: ReadableStream<Uint8Array>,
  b: ReadableStream<Uint8Array>,
): ReadableStream<Uint8Array> {
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  const writer = writable.getWriter();
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) await writer.write(chunk);
  };
  Promise.allSettled([pump(a), pump(b)]).then(() => writer.close());
  return readable;
}

/** Sends SIGTERM, then SIGKILL if the process outlives `graceMs`. */
export async function stopChild(c: LoggedChild, graceMs: number): Promise<void> {
  try {
    c.child.kill("SIGTERM");
  } catch {
    // Already exited.
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), graceMs);
  });
  const result = await Promise.race([c.done, timedOut]);
  clearTimeout(timer);
  if (result === "timeout") {
    try {
      c.child.kill("SIGKILL");
    } catch {
      // Exited meanwhile.
    }
    await c.done;
  }
}

/**
 * Polls `ready` every 200 ms until it returns true; throws when `child`
 * exits first or `timeoutMs` passes.
 */
export async function waitUntil(
  what: string,
  child: LoggedChild,
  timeoutMs: number,
  ready: () => Promise<boolean>,
): Promise<void> {
  let exited: Deno.CommandStatus | undefined;
  child.done.then((s) => exited = s);
  const deadline = Date.now() + timeoutMs;
  while (!(await ready())) {
    if (exited) {
      throw new Error(
        `Cannot wait for ${what}: ${child.name} exited with code ${exited.code} (log: ${child.logPath})`,
      );
    }
    if (Date.now() > deadline) {
      throw new Error(`Cannot wait for ${what}: not ready after ${timeoutMs / 1000} s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Starts `rig up` and resolves with its kubeconfig once it is ready. */
export async function startRig(
  paths: RigPaths,
  runDir: string,
  crds: string,
): Promise<{ rig: LoggedChild; kubeconfig: string }> {
  const rig = await spawnLogged("rig", `${paths.bin}/rig`, [
    "up",
    `--dir=${runDir}`,
    `--bin-dir=${paths.bin}`,
    `--crds=${crds}`,
    `--gateway-class=${GATEWAY_CLASS}`,
  ], `${runDir}/rig.log`);
  let kubeconfig = "";
  // Long: another run on the machine may hold the rig lock until it finishes.
  await waitUntil("the control plane", rig, 2_400_000, async () => {
    try {
      kubeconfig = (await Deno.readTextFile(`${runDir}/ready`)).trim();
      return true;
    } catch {
      return false;
    }
  });
  return { rig, kubeconfig };
}

/**
 * Ends a gateway an earlier run left behind (its driver was killed without
 * a chance to stop it): it would hold the pool's addresses. Called once the
 * rig holds the machine's lock, so no other run's gateway is live.
 */
async function endStaleGateway(pidFile: string): Promise<void> {
  let pid: number;
  try {
    pid = Number((await Deno.readTextFile(pidFile)).trim());
  } catch {
    return;
  }
  try {
    const cmdline = await Deno.readTextFile(`/proc/${pid}/cmdline`);
    if (cmdline.includes(`--gateway-address-pool=${ADDRESS_POOL}`)) Deno.kill(pid, "SIGKILL");
  } catch {
    // Not running any more.
  }
}

/** Starts the gateway in its production mode against the rig's API server. */
export async function startGateway(
  root: string,
  paths: RigPaths,
  runDir: string,
  kubeconfig: string,
  adminPort: number,
): Promise<LoggedChild> {
  const pidFile = `${paths.cache}/gateway.pid`;
  await endStaleGateway(pidFile);
  const gateway = await spawnLogged(
    "gateway",
    Deno.execPath(),
    [
      "run",
      ...startTaskFlags(root),
      `${root}main.ts`,
      "run",
      "--source=kube",
      `--kubeconfig=${kubeconfig}`,
      `--gateway-address-pool=${ADDRESS_POOL}`,
      `--admin-addr=127.0.0.1:${adminPort}`,
      "--telemetry-addr=off",
      "--no-leader-elect",
      "--drain-delay=0s",
      "--shutdown-timeout=5s",
    ],
    `${runDir}/gateway.log`,
    { cwd: root },
  );
  await Deno.writeTextFile(pidFile, `${gateway.child.pid}\n`);
  await waitUntil("the gateway's admin API", gateway, 60_000, async () => {
    try {
      const res = await fetch(`http://127.0.0.1:${adminPort}/healthz`);
      await res.body?.cancel();
      return res.ok;
    } catch {
      return false;
    }
  });
  return gateway;
}

/** A free loopback TCP port. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}
