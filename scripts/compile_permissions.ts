/**
 * The permissions `deno compile` bakes into the binary, derived from the code
 * wherever the code has the list: the `SERVAL_*` variables come from the flag
 * table, the ServiceAccount directory from the kube source. The rest are the
 * few variables read outside the flag table, listed once here and checked
 * against the sources by `tests/ship/compile_permissions.test.ts`.
 *
 * Trade-offs, decided here once:
 * - `--allow-net` is unscoped: listener ports come from Gateway objects, and
 *   backends and the API server are whatever the cluster says.
 * - `--allow-read` is scoped to the ServiceAccount mount and one config
 *   directory ({@linkcode CONFIG_DIR}). A compiled binary cannot widen its
 *   permissions at run time, so a `--manifests` or `--kubeconfig` path must lie
 *   under an allowed path; `deno task compile --read PATH` adds one. Reading
 *   anything else (`/etc/passwd`, other pods' projected files) is refused.
 * - `--allow-env` names each variable, and `--ignore-env` makes every other
 *   variable read as unset instead of throwing, so `Deno.env.toObject()` (the
 *   CLI's environment) sees exactly the allowed variables and npm packages
 *   probing `process.env` keep working.
 * - No `--allow-sys`: prom-client's default metrics produce the same series
 *   without it (measured: identical metric names with and without).
 * - `--allow-ffi` only for libc's usual paths
 *   ({@linkcode LIBC_PATHS}, `src/dataplane/libc.ts`): one `setsockopt` per
 *   TLS listener turns Nagle's algorithm off for the connections it accepts,
 *   which Deno's `TlsConn` cannot (`src/dataplane/listener_nodelay.ts`), and
 *   `malloc_trim` hands glibc's free memory back after route changes
 *   (`src/runtime/allocator_trim.ts`), and `--sockets libc|auto` serves
 *   plain ports and backend connections on libc's sockets
 *   (`src/dataplane/libc_net.ts`). Without it, answers written in pieces
 *   over TLS wait for the client's delayed ACK, glibc keeps what it freed,
 *   and every socket is Deno's.
 * - No `--allow-write`, `--allow-run`, and never `--allow-all`.
 * - `--unstable-net` (not a permission) enables `SO_REUSEPORT`, so an HTTPS
 *   listener rotates certificates without refusing connects.
 *
 * @example
 * ```ts
 * import { permissionFlags } from "./compile_permissions.ts";
 * permissionFlags({ readPaths: ["/srv/manifests"] });
 * // ["--allow-net", "--allow-read=/var/run/secrets/...,/etc/serval-k8s-gateway,/srv/manifests", ...]
 * ```
 * @module
 */
import { envName, FLAGS } from "../src/cli/flag_table.ts";
import { SERVICE_ACCOUNT_DIR } from "../src/kube/kubeconfig.ts";
import { LIBC_PATHS } from "../src/dataplane/libc.ts";

/**
 * Where the container image expects mounted configuration: a ConfigMap of
 * manifests for `--manifests`, or a kubeconfig for `--kubeconfig`.
 */
export const CONFIG_DIR = "/etc/serval-k8s-gateway";

/** Paths every build may read. */
export const DEFAULT_READ_PATHS: readonly string[] = [SERVICE_ACCOUNT_DIR, CONFIG_DIR];

/**
 * Variables read outside the flag table, and why:
 * `KUBERNETES_SERVICE_HOST`/`_PORT` find the API server in a pod and make
 * `--source auto` choose kube; `KUBECONFIG` and `HOME` find a kubeconfig;
 * `POD_NAME` and `HOSTNAME` name the leader-election identity.
 */
export const RUNTIME_ENV_NAMES: readonly string[] = [
  "KUBERNETES_SERVICE_HOST",
  "KUBERNETES_SERVICE_PORT",
  "KUBECONFIG",
  "HOME",
  "POD_NAME",
  "HOSTNAME",
];

/** Every variable the binary may read: one per flag, then {@linkcode RUNTIME_ENV_NAMES}. */
export function allowedEnvNames(): string[] {
  return [...FLAGS.map((flag) => envName(flag.name)), ...RUNTIME_ENV_NAMES];
}

/** Options of {@linkcode permissionFlags}. */
export interface PermissionOptions {
  /** Extra readable paths, absolute (after {@linkcode DEFAULT_READ_PATHS}). */
  readPaths?: readonly string[];
}

/** The permission (and runtime) flags for `deno compile`, also usable with `deno run`. */
export function permissionFlags(options: PermissionOptions = {}): string[] {
  const readPaths = [...new Set([...DEFAULT_READ_PATHS, ...(options.readPaths ?? [])])];
  for (const path of readPaths) {
    if (!path.startsWith("/")) {
      throw new TypeError(`Cannot allow reading a relative path: current value is "${path}"`);
    }
    if (path.includes(",")) {
      throw new TypeError(`Cannot allow reading a path with a comma: current value is "${path}"`);
    }
  }
  return [
    "--allow-net",
    `--allow-read=${readPaths.join(",")}`,
    `--allow-env=${allowedEnvNames().join(",")}`,
    `--allow-ffi=${LIBC_PATHS.join(",")}`,
    "--ignore-env",
    "--no-prompt",
    "--unstable-net",
  ];
}
