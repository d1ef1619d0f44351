/**
 * Kubeconfig `exec` credential plugins (`client.authentication.k8s.io`), the
 * way EKS (`aws eks get-token`), GKE (`gke-gcloud-auth-plugin`) and AKS
 * (`kubelogin`) kubeconfigs authenticate. The plugin runs with the
 * kubeconfig's `args` and `env` added to ours and `KUBERNETES_EXEC_INFO`
 * describing the request; it prints an `ExecCredential` whose `status` holds
 * a bearer token or a client certificate and key. A token is kept until its
 * `expirationTimestamp` and fetched again after a 401.
 *
 * The process needs permission to run programs (`--allow-run`); the compiled
 * binary, meant to run in a cluster with its ServiceAccount, has none, and the
 * error says so.
 *
 * @example
 * ```ts
 * import { parseExecConfig } from "./exec_credential.ts";
 * const exec = parseExecConfig({ command: "aws", args: ["eks", "get-token"] }, "u");
 * console.log(exec.command); // "aws"
 * ```
 * @module
 */
import { errorMessage } from "../log/error_message.ts";
import { isAbsolute, join } from "node:path";

/** The `user.exec` block of a kubeconfig, checked. */
export interface ExecConfig {
  apiVersion: string;
  command: string;
  args: string[];
  env: { name: string; value: string }[];
  installHint?: string;
}

/** What a plugin returns in `ExecCredential.status`. */
export interface ExecCredentialStatus {
  token?: string;
  clientCertificateData?: string;
  clientKeyData?: string;
  /** RFC 3339; absent: the credential does not expire. */
  expirationTimestamp?: string;
}

/** Reads `user.exec`; throws a `TypeError` naming the user for a malformed block. */
export function parseExecConfig(value: unknown, user: string): ExecConfig {
  const exec = (typeof value === "object" && value !== null ? value : {}) as Record<
    string,
    unknown
  >;
  if (typeof exec.command !== "string" || exec.command === "") {
    throw new TypeError(`Cannot use kubeconfig user "${user}": exec.command is missing`);
  }
  const args = Array.isArray(exec.args) ? exec.args.map(String) : [];
  const env = Array.isArray(exec.env)
    ? exec.env.filter((e): e is { name: string; value: string } =>
      typeof e?.name === "string" && typeof e?.value === "string"
    )
    : [];
  return {
    apiVersion: typeof exec.apiVersion === "string"
      ? exec.apiVersion
      : "client.authentication.k8s.io/v1",
    command: exec.command,
    args,
    env,
    installHint: typeof exec.installHint === "string" ? exec.installHint : undefined,
  };
}

/**
 * Runs the plugin once and returns its credential. `dir` is the kubeconfig's
 * directory: a relative command with a slash is resolved against it, as
 * kubectl does; a bare name is looked up on `PATH`.
 */
export async function runExecPlugin(
  exec: ExecConfig,
  dir: string,
  timeoutMs = 60_000,
): Promise<ExecCredentialStatus> {
  const command = exec.command.includes("/") && !isAbsolute(exec.command)
    ? join(dir, exec.command)
    : exec.command;
  const env: Record<string, string> = {
    KUBERNETES_EXEC_INFO: JSON.stringify({
      apiVersion: exec.apiVersion,
      kind: "ExecCredential",
      spec: { interactive: false },
    }),
  };
  for (const { name, value } of exec.env) env[name] = value;
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command(command, {
      args: exec.args,
      env,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(timeoutMs),
    }).output();
  } catch (error) {
    throw new Error(`Cannot run the kubeconfig exec plugin "${exec.command}": ${why(error, exec)}`);
  }
  if (!output.success) {
    const stderr = new TextDecoder().decode(output.stderr).trim().slice(0, 300);
    throw new Error(
      `Cannot get a credential from the kubeconfig exec plugin "${exec.command}": exit code ${output.code}${
        stderr ? `: ${stderr}` : ""
      }`,
    );
  }
  return credentialOf(new TextDecoder().decode(output.stdout), exec.command);
}

function why(error: unknown, exec: ExecConfig): string {
  if (error instanceof Deno.errors.NotFound) {
    return `command not found${exec.installHint ? ` (${exec.installHint.trim()})` : ""}`;
  }
  if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
    return "this process may not run programs (it needs --allow-run; the compiled binary has none)";
  }
  return errorMessage(error);
}

/** Parses a plugin's standard output; throws `SyntaxError` when it is no usable credential. */
export function credentialOf(stdout: string, command: string): ExecCredentialStatus {
  let doc: { kind?: unknown; status?: Record<string, unknown> };
  try {
    doc = JSON.parse(stdout);
  } catch {
    throw new SyntaxError(
      `Cannot read the credential of the kubeconfig exec plugin "${command}": its output is not JSON`,
    );
  }
  const status = doc?.status;
  if (doc?.kind !== "ExecCredential" || typeof status !== "object" || status === null) {
    throw new SyntaxError(
      `Cannot read the credential of the kubeconfig exec plugin "${command}": expected an ExecCredential with a status`,
    );
  }
  const text = (key: string) => typeof status[key] === "string" ? status[key] as string : undefined;
  const credential: ExecCredentialStatus = {
    token: text("token"),
    clientCertificateData: text("clientCertificateData"),
    clientKeyData: text("clientKeyData"),
    expirationTimestamp: text("expirationTimestamp"),
  };
  const pair = credential.clientCertificateData !== undefined &&
    credential.clientKeyData !== undefined;
  if (!credential.token && !pair) {
    throw new SyntaxError(
      `Cannot read the credential of the kubeconfig exec plugin "${command}": the status has neither a token nor a client certificate and key`,
    );
  }
  return credential;
}

/**
 * A token source over a plugin: the first credential is the one read at
 * load; later ones are fetched when the last one expired (`now` is wall-clock
 * milliseconds, as `expirationTimestamp` is) and on `refreshToken` (a 401).
 */
export function execTokenSource(
  exec: ExecConfig,
  dir: string,
  first: ExecCredentialStatus,
  now: () => number = Date.now,
): { token(): Promise<string | undefined>; refreshToken(): Promise<boolean> } {
  let current = first;
  let fetching: Promise<ExecCredentialStatus> | undefined;
  const expired = () => {
    const at = current.expirationTimestamp ? Date.parse(current.expirationTimestamp) : NaN;
    return !Number.isNaN(at) && now() >= at;
  };
  // Concurrent requests after an expiry share one plugin run.
  const fetchNew = async () => {
    fetching ??= runExecPlugin(exec, dir).finally(() => {
      fetching = undefined;
    });
    current = await fetching;
  };
  return {
    async token() {
      if (expired()) await fetchNew();
      return current.token;
    },
    async refreshToken() {
      const before = current.token;
      await fetchNew();
      return current.token !== before;
    },
  };
}
