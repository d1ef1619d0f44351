/**
 * Resolves `--source auto` the way DESIGN.md says: in-cluster when
 * `KUBERNETES_SERVICE_HOST` is set, else files when `--manifests` is given,
 * else the Kubernetes API through a kubeconfig.
 * @module
 */
import type { GatewayOptions } from "./gateway_options.ts";

/** The concrete source to run, and why (logged at startup). */
export interface ResolvedSource {
  kind: "files" | "kube";
  /** `in-cluster` or `kubeconfig` for kube; the directory for files. */
  mode: "files" | "in-cluster" | "kubeconfig";
  reason: string;
}

/** Picks the source for `options.source`, reading only `KUBERNETES_SERVICE_HOST` from `env`. */
export function resolveSourceKind(
  options: Pick<GatewayOptions, "source" | "manifests">,
  env: Record<string, string | undefined>,
): ResolvedSource {
  const inCluster = (env.KUBERNETES_SERVICE_HOST ?? "") !== "";
  const kube = (reason: string): ResolvedSource => ({
    kind: "kube",
    mode: inCluster ? "in-cluster" : "kubeconfig",
    reason,
  });
  switch (options.source) {
    case "files":
      return { kind: "files", mode: "files", reason: "--source files" };
    case "kube":
      return kube("--source kube");
    case "auto":
      if (inCluster) return kube("auto: KUBERNETES_SERVICE_HOST is set");
      if (options.manifests !== undefined) {
        return { kind: "files", mode: "files", reason: "auto: --manifests is given" };
      }
      return kube("auto: no --manifests and not in a cluster");
  }
}
