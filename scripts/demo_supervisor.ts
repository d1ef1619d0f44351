/**
 * How the demo runs the gateway: as a child in its own process group, stopped
 * with exactly one SIGTERM when the demo is asked to stop.
 *
 * A terminal's Ctrl-C sends SIGINT to every process of the foreground process
 * group. Were the gateway in the demo's group, it would get the terminal's
 * SIGINT and then the demo's SIGTERM, and the gateway reads a second signal
 * as an impatient operator: it skips the drain and warns that in-flight
 * requests did not finish, even when none were in flight. In its own group
 * the gateway only hears the demo, so one Ctrl-C gives one clean drain.
 * @module
 */

/** A supervised gateway process. */
export interface SupervisedGateway {
  /** The gateway process. */
  child: Deno.ChildProcess;
  /** Whether a stop has begun (by a signal, `stop()`, or the gateway exiting). */
  stopping(): boolean;
  /** Sends the gateway one SIGTERM, waits for it, runs `cleanup`, exits with `code`. */
  stop(code: number): Promise<void>;
}

/** Options of {@linkcode superviseGateway}. */
export interface SuperviseOptions {
  /** The `deno` arguments that run the gateway. */
  args: string[];
  /** Runs after the gateway has exited, before this process exits. */
  cleanup(): Promise<unknown>;
  /** Called when the gateway exits on its own (not on our stop). */
  onUnexpectedExit(code: number): void;
}

/**
 * Spawns the gateway in its own process group (stdio inherited) and stops it
 * once on SIGINT or SIGTERM to this process.
 *
 * @example
 * ```ts ignore
 * import { superviseGateway } from "./demo_supervisor.ts";
 * superviseGateway({
 *   args: ["run", "-A", "main.ts", "run", "--manifests", "examples"],
 *   cleanup: async () => {},
 *   onUnexpectedExit: (code) => console.error(`exited with ${code}`),
 * });
 * ```
 */
export function superviseGateway(options: SuperviseOptions): SupervisedGateway {
  const child = new Deno.Command(Deno.execPath(), {
    args: options.args,
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
    detached: true,
  }).spawn();
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    try {
      child.kill("SIGTERM");
    } catch {
      // Already exited.
    }
    await child.status;
    await options.cleanup();
    Deno.exit(code);
  };
  Deno.addSignalListener("SIGINT", () => stop(0));
  Deno.addSignalListener("SIGTERM", () => stop(0));
  child.status.then((status) => {
    if (stopping) return;
    options.onUnexpectedExit(status.code);
    stop(status.code || 1);
  });
  return { child, stopping: () => stopping, stop };
}
