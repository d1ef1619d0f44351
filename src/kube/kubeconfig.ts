/**
 * Where the Kubernetes API is and how to authenticate to it: in-cluster
 * (ServiceAccount files) or a kubeconfig file.
 *
 * Kubeconfig files are parsed here (`simple_yaml.ts`, else the `yaml` package) rather than with
 * `@kubernetes/client-node`'s `KubeConfig`: the fields we honour (server, CA,
 * `insecure-skip-tls-verify`, client certificate and key, token, token file,
 * `exec` credential plugins, context namespace) are a few lines to read, and
 * loading client-node would pull its whole HTTP stack into startup for
 * nothing. Legacy `auth-provider` plugins and basic auth are not supported and
 * are reported as such.
 *
 * @example
 * ```ts
 * import { loadKubeConnection } from "./kubeconfig.ts";
 * const conn = await loadKubeConnection({ kubeconfig: "/home/me/.kube/config" });
 * conn.server; // "https://127.0.0.1:6443"
 * ```
 * @module
 */
import { dirname, isAbsolute, join } from "node:path";
import type { Logger } from "../log/logger.ts";
import { type Clock, systemClock } from "../time/clock.ts";
import { execTokenSource, parseExecConfig, runExecPlugin } from "./exec_credential.ts";
import { parseSimpleYaml } from "./simple_yaml.ts";

/** Default ServiceAccount mount of a pod. */
export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/** How to reach and authenticate to the API server. */
export interface KubeConnection {
  /** Base URL without trailing slash, e.g. `https://10.0.0.1:443`. */
  readonly server: string;
  /** PEM CA certificates to trust; absent: the system roots. */
  readonly caCerts?: string[];
  /** PEM client certificate and key (mutual TLS), if configured. */
  readonly clientCert?: string;
  readonly clientKey?: string;
  /** The API server's certificate is not verified (kubeconfig `insecure-skip-tls-verify`). */
  readonly insecureSkipTlsVerify?: boolean;
  /** Namespace of the pod (in-cluster) or of the kubeconfig context. */
  readonly namespace?: string;
  /** Where the settings came from, for logs. */
  readonly origin: string;
  /** The bearer token to send now, if any; re-reads a token file periodically. */
  token(): Promise<string | undefined>;
  /** Re-reads the token file now (after a 401); `true` if the token changed. */
  refreshToken(): Promise<boolean>;
}

/** Options of {@linkcode loadKubeConnection}. */
export interface KubeConnectionOptions {
  /** Explicit kubeconfig path (`--kubeconfig`); wins over in-cluster detection. */
  kubeconfig?: string;
  /** Force the in-cluster settings even when a kubeconfig exists. */
  inCluster?: boolean;
  /** Environment lookup; default `Deno.env.get`. */
  env?: (name: string) => string | undefined;
  /** ServiceAccount directory; default {@linkcode SERVICE_ACCOUNT_DIR}. */
  serviceAccountDir?: string;
  /**
   * How often a token file is re-read even without a 401. Projected
   * ServiceAccount tokens are rotated by the kubelet (about hourly) by swapping
   * a symlink, which file watchers miss; a cheap periodic read does not.
   * Default 10 s.
   */
  tokenReloadMs?: number;
  /** Measures `tokenReloadMs`. Default {@linkcode systemClock}. */
  clock?: Clock;
  /** Wall-clock milliseconds, for exec credentials' `expirationTimestamp`. Default `Date.now`. */
  wallClock?: () => number;
  /** Told about settings that weaken security (`insecure-skip-tls-verify`). */
  logger?: Logger;
}

/**
 * Resolves the connection: `--kubeconfig` if given; else in-cluster when
 * `KUBERNETES_SERVICE_HOST` is set; else `$KUBECONFIG`, then `~/.kube/config`.
 */
export async function loadKubeConnection(
  options: KubeConnectionOptions = {},
): Promise<KubeConnection> {
  const env = options.env ?? ((name: string) => Deno.env.get(name));
  if (options.kubeconfig) return await loadKubeconfigFile(options.kubeconfig, options);
  if (options.inCluster || env("KUBERNETES_SERVICE_HOST")) {
    return await loadInClusterConnection(options);
  }
  const fromEnv = env("KUBECONFIG");
  if (fromEnv) return await loadKubeconfigFile(fromEnv, options);
  const home = env("HOME");
  if (!home) {
    throw new Error("Cannot find a kubeconfig: KUBECONFIG and HOME are both unset");
  }
  return await loadKubeconfigFile(join(home, ".kube", "config"), options);
}

/** The in-cluster settings, from the environment and the ServiceAccount files. */
export async function loadInClusterConnection(
  options: KubeConnectionOptions = {},
): Promise<KubeConnection> {
  const env = options.env ?? ((name: string) => Deno.env.get(name));
  const dir = options.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  const host = env("KUBERNETES_SERVICE_HOST");
  const port = env("KUBERNETES_SERVICE_PORT") ?? "443";
  if (!host) {
    throw new Error("Cannot use in-cluster config: KUBERNETES_SERVICE_HOST is unset");
  }
  const hostPart = host.includes(":") ? `[${host}]` : host;
  const ca = await Deno.readTextFile(join(dir, "ca.crt"));
  const namespace = (await readOptional(join(dir, "namespace")))?.trim() || undefined;
  return {
    server: `https://${hostPart}:${port}`,
    caCerts: [ca],
    namespace,
    origin: `in-cluster (${dir})`,
    ...tokenFromFile(join(dir, "token"), options.tokenReloadMs, options.clock),
  };
}

interface Named<T> {
  name: string;
  [key: string]: unknown;
  value?: T;
}

/**
 * Reads a kubeconfig file (or a `:`-separated list of them, merged with the
 * first file to define a name winning) and resolves its current context.
 */
export async function loadKubeconfigFile(
  pathList: string,
  options: KubeConnectionOptions = {},
): Promise<KubeConnection> {
  const { cluster, user, context, currentContext } = await resolveContext(pathList);
  const clusterName = String(context.cluster);
  const server = cluster.doc.server;
  if (typeof server !== "string" || !/^https?:\/\//.test(server)) {
    throw new Error(`Cannot use kubeconfig cluster "${clusterName}": server is "${server}"`);
  }
  const ca = await pemFrom(cluster.doc, "certificate-authority", cluster.dir);
  const insecure = cluster.doc["insecure-skip-tls-verify"] === true;
  if (insecure && ca !== undefined) {
    // kubectl refuses the pair too: which one was meant cannot be told.
    throw new Error(
      `Cannot use kubeconfig cluster "${clusterName}": insecure-skip-tls-verify and certificate-authority exclude each other`,
    );
  }
  if (insecure) {
    options.logger?.warn(
      "kubeconfig cluster sets insecure-skip-tls-verify: the API server's certificate is not verified",
      { cluster: clusterName, server },
    );
  }
  return {
    server: server.replace(/\/+$/, ""),
    caCerts: ca === undefined ? undefined : [ca],
    ...(insecure ? { insecureSkipTlsVerify: true } : {}),
    namespace: typeof context.namespace === "string" ? context.namespace : undefined,
    origin: `kubeconfig ${pathList} (context ${currentContext})`,
    ...await userCredentials(user, String(context.user), options),
  };
}

type Entry = { doc: Record<string, unknown>; dir: string };

/**
 * Parses a kubeconfig: JSON (which is YAML too) directly, the plain YAML
 * tools write with `simple_yaml.ts`, anything else with the `yaml` package,
 * loaded on first use: it is CommonJS and brings Node's module loader up
 * with it, a sizeable part of start-up before the first list request.
 */
async function parseKubeconfig(text: string): Promise<unknown> {
  if (text.trimStart().startsWith("{")) {
    try {
      return JSON.parse(text);
    } catch {
      // Not JSON after all (a YAML flow mapping, say): the YAML parser decides.
    }
  }
  const simple = parseSimpleYaml(text);
  if (simple !== undefined) return simple;
  const { parse } = await import("yaml");
  return parse(text);
}

/**
 * Reads the files of a `:`-separated list (the first to define a name wins;
 * a missing file in a list is skipped, as kubectl does) and picks the
 * current context's cluster and user.
 */
async function resolveContext(pathList: string) {
  const paths = pathList.split(":").filter((p) => p !== "");
  const clusters = new Map<string, Entry>();
  const users = new Map<string, Entry>();
  const contexts = new Map<string, Record<string, unknown>>();
  let currentContext: string | undefined;
  for (const path of paths) {
    let text: string;
    try {
      text = await Deno.readTextFile(path);
    } catch (err) {
      if (paths.length > 1 && err instanceof Deno.errors.NotFound) continue;
      throw new Error(`Cannot read kubeconfig: ${path}: ${(err as Error).message}`);
    }
    const doc = (await parseKubeconfig(text) ?? {}) as Record<string, unknown>;
    const dir = dirname(path);
    for (const c of asList<Named<unknown>>(doc.clusters)) {
      if (!clusters.has(c.name)) clusters.set(c.name, { doc: asRecord(c.cluster), dir });
    }
    for (const u of asList<Named<unknown>>(doc.users)) {
      if (!users.has(u.name)) users.set(u.name, { doc: asRecord(u.user), dir });
    }
    for (const c of asList<Named<unknown>>(doc.contexts)) {
      if (!contexts.has(c.name)) contexts.set(c.name, asRecord(c.context));
    }
    if (!currentContext && typeof doc["current-context"] === "string") {
      currentContext = doc["current-context"] as string;
    }
  }
  if (!currentContext) {
    throw new Error(`Cannot use kubeconfig: no current-context in "${pathList}"`);
  }
  const context = contexts.get(currentContext);
  if (!context) {
    throw new Error(`Cannot use kubeconfig: context "${currentContext}" is not defined`);
  }
  const cluster = clusters.get(String(context.cluster));
  if (!cluster) {
    throw new Error(`Cannot use kubeconfig: cluster "${context.cluster}" is not defined`);
  }
  const user = users.get(String(context.user)) ?? { doc: {}, dir: cluster.dir };
  return { cluster, user, context, currentContext };
}

/** The user's client certificate and token source: files, inline data, a token file or a plugin. */
async function userCredentials(
  user: Entry,
  name: string,
  options: KubeConnectionOptions,
): Promise<Pick<KubeConnection, "clientCert" | "clientKey" | "token" | "refreshToken">> {
  for (const unsupported of ["auth-provider", "username"]) {
    if (user.doc[unsupported] !== undefined) {
      throw new Error(
        `Cannot use kubeconfig user "${name}": "${unsupported}" authentication is not supported, use a token, token file, client certificate or exec plugin`,
      );
    }
  }
  const clientCert = await pemFrom(user.doc, "client-certificate", user.dir);
  const clientKey = await pemFrom(user.doc, "client-key", user.dir);
  if ((clientCert === undefined) !== (clientKey === undefined)) {
    throw new Error(
      `Cannot use kubeconfig user "${name}": client-certificate and client-key must be given together`,
    );
  }
  const fixed = (token: string | undefined) => ({
    token: () => Promise.resolve(token),
    refreshToken: () => Promise.resolve(false),
  });
  if (user.doc.exec !== undefined) {
    const exec = parseExecConfig(user.doc.exec, name);
    // Run now, so a missing plugin or a refused login stops startup with its reason.
    const first = await runExecPlugin(exec, user.dir);
    const pair = first.clientCertificateData !== undefined && first.clientKeyData !== undefined;
    return {
      // The TLS client is made once: a plugin's certificate lasts until a restart.
      clientCert: pair ? first.clientCertificateData : clientCert,
      clientKey: pair ? first.clientKeyData : clientKey,
      ...execTokenSource(exec, user.dir, first, options.wallClock),
    };
  }
  if (typeof user.doc.token === "string") {
    return { clientCert, clientKey, ...fixed(user.doc.token) };
  }
  if (typeof user.doc.tokenFile === "string") {
    const path = resolvePath(user.doc.tokenFile, user.dir);
    return { clientCert, clientKey, ...tokenFromFile(path, options.tokenReloadMs, options.clock) };
  }
  return { clientCert, clientKey, ...fixed(undefined) };
}

function tokenFromFile(
  path: string,
  reloadMs = 10_000,
  clock: Clock = systemClock,
): Pick<KubeConnection, "token" | "refreshToken"> {
  let cached: string | undefined;
  let readAt = -Infinity;
  const read = async () => {
    const text = await readOptional(path);
    readAt = clock.now();
    // Keep the last token when the file is briefly missing during a rotation.
    if (text !== undefined && text.trim() !== "") cached = text.trim();
  };
  return {
    async token() {
      if (clock.now() - readAt >= reloadMs) await read();
      return cached;
    },
    async refreshToken() {
      const before = cached;
      await read();
      return cached !== before;
    },
  };
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
}

async function pemFrom(
  doc: Record<string, unknown>,
  field: string,
  dir: string,
): Promise<string | undefined> {
  const data = doc[`${field}-data`];
  if (typeof data === "string") return new TextDecoder().decode(decodeBase64(data));
  const file = doc[field];
  if (typeof file === "string") return await Deno.readTextFile(resolvePath(file, dir));
  return undefined;
}

function resolvePath(path: string, dir: string): string {
  return isAbsolute(path) ? path : join(dir, path);
}

function decodeBase64(text: string): Uint8Array {
  const bin = atob(text.replace(/\s+/g, ""));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

function asList<T>(value: unknown): T[] {
  return Array.isArray(value)
    ? value.filter((v): v is T => typeof v === "object" && v !== null && "name" in v)
    : [];
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null ? value as Record<string, unknown> : {};
}
