/**
 * The world `bench/scale.ts` probes: an API server holding a GatewayClass, a
 * Gateway on one port and `routes` HTTPRoutes `r-<i>` for hosts
 * `r-<i>.test`. `fake` (default): the in-process fake API server, routes to
 * a backend in its own process (served: 200), so the probe's 200 does not
 * wait on the benchmark's event loop twice. `real`: etcd and kube-apiserver from the
 * conformance rig's build, routes that redirect (served: 302), since a real
 * API server takes no loopback endpoints. `files`: the same objects as files
 * of a manifest directory (the files source), routes to that backend process.
 * @module
 */
import { startOkBackend } from "./_ok_backend.ts";
import { startFakeKube } from "../tests/fake_kube/fake_kube_server.ts";
import {
  endpointSlice,
  gateway,
  gatewayClass,
  httpRoute,
  namespace,
  service,
} from "../tests/fake_kube/fake_kube_fixtures.ts";
import { type KubeObjectLike, type ScaleKube, startRealKube } from "./_real_kube.ts";

/** Which API server, or `files`: a manifest directory instead (`--source files`). */
export type ScaleApi = "fake" | "real" | "files";

/** A populated API server and how its routes are written. */
export interface ScaleWorld {
  kube: ScaleKube;
  /** HTTPRoute `name` for `host`, matching `prefix` (default `/`). */
  route(name: string, host: string, prefix?: string): KubeObjectLike;
  /** The status of an answer from a route that is served. */
  served: number;
  /** The routes' backend process, when there is one. */
  backendPid?: number;
  /** The gateway's source flags; `dir` is a scratch directory. */
  sourceArgs(dir: string): Promise<string[]>;
  close(): Promise<void>;
}

/** Applies this many objects before waiting for their answers (real API server). */
const BATCH = 200;

/** Starts the API server of `api` and fills it; the Gateway listens on `port`. */
export async function startWorld(api: ScaleApi, routes: number, port: number): Promise<ScaleWorld> {
  const world = api === "real"
    ? await realWorld()
    : api === "files"
    ? await filesWorld()
    : await fakeWorld();
  const { kube } = world;
  kube.apply(gatewayClass());
  kube.apply(gateway("gw", port));
  for (let i = 0; i < routes; i++) {
    kube.apply(world.route(`r-${i}`, `r-${i}.test`));
    if (i % BATCH === BATCH - 1) await kube.settled();
  }
  await kube.settled();
  const failed = kube.failures();
  if (failed.count > 0) {
    await world.close();
    throw new Error(`Cannot fill the API server: ${failed.count} failed, ${failed.first}`);
  }
  return world;
}

async function fakeWorld(): Promise<ScaleWorld> {
  // As a real API server: no write of it waits for a delayed ACK (Nagle off).
  const fake = await startFakeKube({ noDelayTls: true });
  const backend = await startOkBackend();
  fake.apply(namespace("default"));
  fake.apply(service("svc"));
  fake.apply(endpointSlice("svc", ["127.0.0.1"], backend.port));
  const kube: ScaleKube = {
    apply(object) {
      fake.apply(object as unknown as Record<string, unknown>);
      return Promise.resolve();
    },
    settled: () => Promise.resolve(),
    failures: () => ({ count: 0 }),
    writeKubeconfig: (path) => fake.writeKubeconfig(path),
    close: () => fake.close(),
  };
  return {
    kube,
    route: (name, host, prefix) => httpRoute(name, { host, backend: "svc", prefix }),
    served: 200,
    backendPid: backend.pid,
    sourceArgs: async (dir) => kubeArgs(await kube.writeKubeconfig(`${dir}/kubeconfig`)),
    async close() {
      await backend.close();
      await fake.close();
    },
  };
}

const kubeArgs = (kubeconfig: string) => ["--source", "kube", "--kubeconfig", kubeconfig];

/**
 * A manifest directory, one JSON file per object, written as tools do (a
 * temporary file renamed over the old one), routes to a backend process.
 */
async function filesWorld(): Promise<ScaleWorld> {
  const dir = await Deno.makeTempDir({ prefix: "scale-manifests-" });
  const backend = await startOkBackend();
  const kube: ScaleKube = {
    apply(object) {
      const file = `${dir}/${object.kind}-${object.metadata.name}.json`.toLowerCase();
      Deno.writeTextFileSync(`${file}.tmp`, JSON.stringify(object));
      Deno.renameSync(`${file}.tmp`, file);
      return Promise.resolve();
    },
    settled: () => Promise.resolve(),
    failures: () => ({ count: 0 }),
    writeKubeconfig: () => Promise.reject(new Error("Cannot write a kubeconfig: no API server")),
    close: () => Deno.remove(dir, { recursive: true }),
  };
  kube.apply(namespace("default"));
  kube.apply(service("svc"));
  kube.apply(endpointSlice("svc", ["127.0.0.1"], backend.port));
  return {
    kube,
    route: (name, host, prefix) => httpRoute(name, { host, backend: "svc", prefix }),
    served: 200,
    backendPid: backend.pid,
    sourceArgs: () => Promise.resolve(["--source", "files", "--manifests", dir]),
    async close() {
      await backend.close();
      await kube.close();
    },
  };
}

async function realWorld(): Promise<ScaleWorld> {
  const kube = await startRealKube();
  return {
    kube,
    route: (name, host, prefix = "/") => ({
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "HTTPRoute",
      metadata: { name, namespace: "default" },
      spec: {
        parentRefs: [{ name: "gw" }],
        hostnames: [host],
        rules: [{
          matches: [{ path: { type: "PathPrefix", value: prefix } }],
          filters: [{ type: "RequestRedirect", requestRedirect: { hostname: "elsewhere.test" } }],
        }],
      },
    }),
    served: 302,
    sourceArgs: async (dir) => kubeArgs(await kube.writeKubeconfig(`${dir}/kubeconfig`)),
    close: () => kube.close(),
  };
}
