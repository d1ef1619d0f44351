/**
 * Runs the gateway the way it ships: either the compiled binary, or
 * `deno run` with exactly the permissions the compile task bakes in (so the
 * permission set is proven here even where `deno compile` cannot run), plus a
 * manifest directory with one route to an echo backend.
 * @module
 */
import { permissionFlags } from "../../scripts/compile_permissions.ts";
import { classAndGatewayYaml, loopbackServiceYaml } from "../../scripts/manifests.ts";
import { freePorts, MAIN_PATH } from "../_helpers/gateway_process.ts";

/** The command that runs `main.ts` with the binary's permissions and `readPaths` readable. */
export function narrowDenoCommand(readPaths: readonly string[]): string[] {
  return [Deno.execPath(), "run", ...permissionFlags({ readPaths }), MAIN_PATH];
}

/** A running gateway started by {@linkcode startShipped}. */
export interface ShippedProcess extends AsyncDisposable {
  readonly telemetryUrl: string;
  readonly adminUrl: string;
  readonly status: Promise<Deno.CommandStatus>;
  logs(): string;
  kill(signal?: Deno.Signal): void;
  /** SIGTERM and the exit status (SIGKILL after 15 s). */
  stop(): Promise<Deno.CommandStatus>;
}

/** Options of {@linkcode startShipped}. */
export interface ShippedOptions {
  /** The program and its leading arguments (binary, or {@linkcode narrowDenoCommand}). */
  command: string[];
  /** Flags after `run`. */
  args: string[];
  /** Variables to add; the parent's environment is inherited. */
  env?: Record<string, string>;
  /** Default 30 s. */
  startTimeoutMs?: number;
}

/** Starts `command run <test ports> <args>` and waits for telemetry `/readyz` 200. */
export async function startShipped(options: ShippedOptions): Promise<ShippedProcess> {
  const [adminPort, telemetryPort] = freePorts(2);
  const child = new Deno.Command(options.command[0], {
    args: [
      ...options.command.slice(1),
      "run",
      "--admin-addr",
      `127.0.0.1:${adminPort}`,
      "--telemetry-addr",
      `127.0.0.1:${telemetryPort}`,
      "--listen-host",
      "127.0.0.1",
      "--log-format",
      "text",
      ...options.args,
    ],
    env: { NO_COLOR: "1", ...options.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let output = "";
  const decoder = new TextDecoder();
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) output += decoder.decode(chunk, { stream: true });
  };
  const drained = Promise.all([pump(child.stdout), pump(child.stderr)]);
  let exited = false;
  const status = child.status.then(async (s) => {
    exited = true;
    await drained;
    return s;
  });
  const kill = (signal: Deno.Signal = "SIGTERM") => {
    if (exited) return;
    try {
      child.kill(signal);
    } catch {
      // Exited between the check and the kill.
    }
  };
  const telemetryUrl = `http://127.0.0.1:${telemetryPort}`;
  const shipped: ShippedProcess = {
    telemetryUrl,
    adminUrl: `http://127.0.0.1:${adminPort}`,
    status,
    logs: () => output,
    kill,
    async stop() {
      kill("SIGTERM");
      const timer = setTimeout(() => kill("SIGKILL"), 15_000);
      try {
        return await status;
      } finally {
        clearTimeout(timer);
      }
    },
    async [Symbol.asyncDispose]() {
      kill("SIGKILL");
      await status;
    },
  };
  const deadline = performance.now() + (options.startTimeoutMs ?? 60_000);
  let last = "no answer";
  while (performance.now() < deadline && !exited) {
    try {
      const res = await fetch(`${telemetryUrl}/readyz`);
      last = `${res.status} ${await res.text()}`;
      if (res.ok) return shipped;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await shipped[Symbol.asyncDispose]();
  throw new Error(`Cannot start the gateway (last /readyz: ${last}); output:\n${output}`);
}

/** Manifests for files mode: a Gateway on `port` routing `host` to a backend on 127.0.0.1. */
export function oneRouteManifests(port: number, host: string, backendPort: number): string {
  return `${classAndGatewayYaml("gw", [`{ name: http, protocol: HTTP, port: ${port} }`])}---
${loopbackServiceYaml("echo", backendPort)}---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: echo, namespace: default }
spec:
  parentRefs: [{ name: gw }]
  hostnames: [${host}]
  rules: [{ backendRefs: [{ name: echo, port: 80 }] }]
`;
}
