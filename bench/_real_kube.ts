/**
 * The real API server for `bench/scale.ts --api real`: etcd and
 * kube-apiserver from the conformance rig's cached build (built on first use,
 * as `deno task conformance` does), the Gateway API CRDs of the pinned
 * release, and objects written by server-side apply. Only loopback.
 *
 * A real API server refuses EndpointSlices with loopback addresses, so the
 * routes of this mode answer with a redirect (`RequestRedirect`, no
 * backend): a route is served when its host answers 302.
 * @module
 */
// deno-lint-ignore-file no-console
import { buildRig, moduleDir, rigPaths } from "../scripts/conformance/rig_build.ts";
import { type ControlPlane, startControlPlane } from "../scripts/conformance/control_plane.ts";

/** What the benchmark needs of an API server, fake or real. */
export interface ScaleKube {
  /**
   * Creates or replaces `object`; failures are counted, never thrown. The
   * promise settles when the API server answered (at once for a fake).
   */
  apply(object: KubeObjectLike): Promise<void>;
  /** Resolves once every apply made so far has been answered. */
  settled(): Promise<void>;
  /** Applies that failed, with the first error. */
  failures(): { count: number; first?: string };
  writeKubeconfig(path: string): Promise<string>;
  close(): Promise<void>;
  /** The real API server's own client, for measurements of it (absent for a fake). */
  raw?: RawKube;
}

/** A real API server's client (as admin) and where the Gateway API CRDs came from. */
export interface RawKube {
  api: ControlPlane["api"];
  /** The pinned release's experimental CRDs, in the Go module cache. */
  crdDir: string;
}

/** The fields of an object this module reads. */
export interface KubeObjectLike {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
}

const PLURALS: Record<string, string> = {
  Namespace: "namespaces",
  Service: "services",
  EndpointSlice: "endpointslices",
  GatewayClass: "gatewayclasses",
  Gateway: "gateways",
  HTTPRoute: "httproutes",
};

function objectPath(o: KubeObjectLike): string {
  const group = o.apiVersion === "v1" ? "/api/v1" : `/apis/${o.apiVersion}`;
  const ns = o.metadata.namespace === undefined ? "" : `/namespaces/${o.metadata.namespace}`;
  return `${group}${ns}/${PLURALS[o.kind]}/${o.metadata.name}`;
}

/**
 * Whether `--api real` can run without building the rig from scratch: Go is
 * on the path and the rig's etcd and kube-apiserver are in its cache.
 */
export async function realApiAvailable(): Promise<boolean> {
  const root = new URL("../", import.meta.url).pathname;
  const { bin } = rigPaths(root, Deno.env.toObject());
  try {
    for (const name of ["etcd", "kube-apiserver"]) await Deno.stat(`${bin}/${name}`);
    const go = await new Deno.Command("go", { args: ["version"], stdout: "null", stderr: "null" })
      .output();
    return go.success;
  } catch {
    return false;
  }
}

/** Starts the control plane and installs the CRDs; the first start builds the rig (minutes). */
export async function startRealKube(): Promise<ScaleKube> {
  const root = new URL("../", import.meta.url).pathname;
  const paths = rigPaths(root, Deno.env.toObject());
  const log = (line: string) => console.error(`[scale] ${line}`);
  await buildRig(paths, log);
  const crds = `${await moduleDir(paths, "sigs.k8s.io/gateway-api")}/config/crd/experimental`;
  const plane = await startControlPlane(paths, log);
  try {
    await plane.installCrds(crds);
  } catch (error) {
    await plane.stop();
    throw error;
  }
  return realKube(plane, crds);
}

function realKube(plane: ControlPlane, crdDir: string): ScaleKube {
  const pending = new Set<Promise<void>>();
  let failed = 0;
  let first: string | undefined;
  const applyOne = async (object: KubeObjectLike) => {
    const res = await plane.api(`${objectPath(object)}?fieldManager=serval-bench&force=true`, {
      method: "PATCH",
      body: JSON.stringify(object),
      headers: { "content-type": "application/apply-patch+yaml" },
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${res.status} ${text.slice(0, 200)}`);
  };
  return {
    apply(object) {
      const done = applyOne(object).catch((error) => {
        failed++;
        first ??= `Cannot apply ${object.kind} ${object.metadata.name}: ${error.message}`;
      }).finally(() => pending.delete(done));
      pending.add(done);
      return done;
    },
    async settled() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
    failures: () => ({ count: failed, first }),
    async writeKubeconfig(path) {
      const dir = plane.dir;
      const text = [
        "apiVersion: v1",
        "kind: Config",
        "clusters:",
        "- name: real",
        "  cluster:",
        `    server: ${plane.url}`,
        `    certificate-authority: ${dir}/ca.crt`,
        "users:",
        "- name: admin",
        "  user:",
        `    client-certificate: ${dir}/admin.crt`,
        `    client-key: ${dir}/admin.key`,
        "contexts:",
        "- name: real",
        "  context: { cluster: real, user: admin }",
        "current-context: real",
      ].join("\n");
      await Deno.writeTextFile(path, text + "\n");
      return path;
    },
    close: () => plane.stop(),
    raw: { api: plane.api, crdDir },
  };
}
