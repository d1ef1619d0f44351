/**
 * The composition root: the real parts `runGateway` wires, the pipeline
 * modules of every folder adapted to the seams in `runtime/gateway_parts.ts`.
 * This is the one file that knows every module's factory; `main.ts` passes it
 * to `runGateway`. It stands above every folder of `src/`.
 *
 * Only what the source needs is imported here; the serving parts are in
 * `gateway_serving.ts`, loaded on first use. `runGateway` starts the source
 * before it asks for them, so at start-up the first list request is on its
 * way before translate, the data plane, prom-client and Hono load (at 5,000
 * routes the API server's answer takes about as long as they do).
 * @module
 */
import { createKubeSource } from "./source/kube.ts";
import { createKubeClient } from "./kube/client.ts";
import { loadKubeConnection } from "./kube/kubeconfig.ts";
import { createStore } from "./source/store.ts";
import type { GatewayParts } from "./runtime/gateway_parts.ts";

/** Creates the production parts. */
export function createDefaultParts(): GatewayParts {
  let serving: Promise<typeof import("./gateway_serving.ts")> | undefined;
  const load = () => serving ??= import("./gateway_serving.ts");
  return {
    createStore: () => createStore(),
    async connectKube(ctx) {
      const connection = await loadKubeConnection({
        kubeconfig: ctx.options.kubeconfig,
        env: (name) => ctx.env[name],
        logger: ctx.logger.child({ component: "kubeconfig" }),
      });
      return { client: createKubeClient(connection), namespace: connection.namespace };
    },
    async createSource(resolved, { store, metrics, kube }, ctx) {
      if (resolved.kind === "files") {
        const dir = ctx.options.manifests;
        if (dir === undefined) {
          throw new TypeError("Cannot start the files source: --manifests DIR is required");
        }
        // Loaded only here: with it comes the YAML parser, which the kube source never needs.
        const { createFilesSource } = await import("./source/files.ts");
        return createFilesSource({ dir, store, logger: ctx.logger });
      }
      if (!kube) throw new TypeError("Cannot start the kube source: no Kubernetes connection");
      return createKubeSource({
        client: kube.client,
        store,
        logger: ctx.logger,
        onSyncChange: (kind, synced) => metrics.sourceSynced(kind, synced),
        onWatchRestart: (kind) => metrics.watchRestarted(kind),
      });
    },
    createPipeline: async () => (await load()).pipeline(),
    createMetrics: async () => (await load()).metrics(),
    createListenerManager: async (deps, ctx) => (await load()).dataPlane(deps, ctx),
    createStatusWriter: async (deps, ctx) => (await load()).statusWriter(deps, ctx),
    createAdminApp: async (deps, ctx) => (await load()).adminApp(deps, ctx),
    createTelemetryApp: async (deps, ctx) => (await load()).telemetryApp(deps, ctx),
  };
}
