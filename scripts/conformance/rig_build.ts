/**
 * Builds the conformance rig's binaries (the rig itself, etcd,
 * kube-apiserver, kube-controller-manager and echo-basic) from the Go
 * module in `conformance/`, with the module and build caches under one
 * cache folder so a second build takes seconds.
 * @module
 */

/** Where the rig's Go caches and binaries live, outside the repository. */
export interface RigPaths {
  /** The cache folder: `${XDG_CACHE_HOME:-$HOME/.cache}/serval-conformance`. */
  cache: string;
  /** The built binaries. */
  bin: string;
  /** The Go module of the rig and the suite entry point. */
  module: string;
}

/** The binaries the rig needs and the Go packages they come from. */
export const RIG_BINARIES: ReadonlyArray<{ name: string; pkg: string }> = [
  { name: "rig", pkg: "./cmd/rig" },
  { name: "etcd", pkg: "./cmd/etcd" },
  { name: "echo-basic", pkg: "sigs.k8s.io/gateway-api/conformance/echo-basic" },
  { name: "kube-controller-manager", pkg: "k8s.io/kubernetes/cmd/kube-controller-manager" },
  { name: "kube-apiserver", pkg: "k8s.io/kubernetes/cmd/kube-apiserver" },
];

/**
 * The cache and module paths for a checkout rooted at `root` (ends with a slash).
 *
 * @example
 * ```ts
 * import { rigPaths } from "./rig_build.ts";
 * rigPaths("/src/gateway/", { HOME: "/root" }).bin; // "/root/.cache/serval-conformance/bin"
 * ```
 */
export function rigPaths(root: string, env: Record<string, string | undefined>): RigPaths {
  const base = env.XDG_CACHE_HOME || `${env.HOME ?? "/tmp"}/.cache`;
  const cache = `${base}/serval-conformance`;
  return { cache, bin: `${cache}/bin`, module: `${root}conformance` };
}

/** The environment every `go` command of the rig runs with. */
export function goEnv(paths: RigPaths): Record<string, string> {
  return {
    GOMODCACHE: `${paths.cache}/gomod`,
    GOCACHE: `${paths.cache}/gobuild`,
    GOFLAGS: "-buildvcs=false",
    GOTOOLCHAIN: "local",
  };
}

/** Runs `go args...` in the rig's module; throws with its output on failure. */
export async function go(paths: RigPaths, args: string[]): Promise<string> {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command("go", {
      args,
      cwd: paths.module,
      env: goEnv(paths),
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (error) {
    throw new Error(
      `Cannot run go ${args.join(" ")}: ${error instanceof Error ? error.message : error}` +
        " (the conformance rig needs Go 1.26 on PATH)",
    );
  }
  const decoder = new TextDecoder();
  if (!output.success) {
    throw new Error(
      `Cannot run go ${args.join(" ")}: exit code ${output.code}\n` +
        decoder.decode(output.stderr).trim(),
    );
  }
  return decoder.decode(output.stdout).trim();
}

/**
 * Builds every rig binary into `paths.bin`, one after another (the machine's
 * cores go to each link in turn), and reports how long each took.
 */
export async function buildRig(
  paths: RigPaths,
  log: (line: string) => void,
): Promise<void> {
  await Deno.mkdir(paths.bin, { recursive: true });
  for (const { name, pkg } of RIG_BINARIES) {
    const started = performance.now();
    await go(paths, ["build", "-o", `${paths.bin}/${name}`, pkg]);
    log(`built ${name} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
}

/** The directory of a module in the rig's module cache (`go list -m`). */
export function moduleDir(paths: RigPaths, module: string): Promise<string> {
  return go(paths, ["list", "-m", "-f", "{{.Dir}}", module]);
}
