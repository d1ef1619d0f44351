/**
 * What the status writer's tests against the fake API server share: the
 * fake with the objects a test starts from, the kube source, a writer over
 * the source's store (or a view of it), translate between them, and reading
 * back what was written.
 * @module
 */
import { silentLogger } from "../../src/log/logger.ts";
import type { TranslateResult } from "../../src/model/config.ts";
import { createKubeSource } from "../../src/source/kube.ts";
import type { Source } from "../../src/source/source.ts";
import { createStore, type Store } from "../../src/source/store.ts";
import type { Leadership } from "../../src/status/leader_election.ts";
import {
  createStatusWriter,
  type StatusWriter,
  type StatusWriterOptions,
} from "../../src/status/status_writer.ts";
import { translate } from "../../src/translate/translate.ts";
import { type FakeKube, startFakeKube } from "../fake_kube/fake_kube_server.ts";
import { clientFor, CONTROLLER, waitFor } from "../fake_kube/fake_kube_fixtures.ts";

/** The Gateway API group's version every object of these tests is in. */
export const GW = "gateway.networking.k8s.io/v1";

/** A JSON object. */
export type Obj = Record<string, unknown>;

/** How a test's world starts. */
export interface StatusEnvOptions {
  /** Applied to the fake, in order, before the source starts. */
  objects: Obj[];
  /** Options of the writer beyond the client, the store and our controller name. */
  writer?: Partial<StatusWriterOptions>;
  /** The store as the writer sees it (default: the source's store itself). */
  storeView?: (store: Store) => StatusWriterOptions["store"];
}

/** A started world: see the module doc. `await using` stops it all. */
export interface StatusEnv extends AsyncDisposable {
  kube: FakeKube;
  source: Source;
  writer: StatusWriter;
  /** The fake's status of an object (a GatewayClass has no namespace). */
  status(kind: string, name: string): Obj | undefined;
  /** The paths of the status PATCHes the fake got, only those answered `code` if given. */
  patched(code?: number): string[];
  /** Translates what the store holds now. */
  translateNow(): TranslateResult;
  /** Hands `result` to the writer and waits until it is idle. */
  hand(result: TranslateResult): Promise<void>;
  /** Translates what the store holds now and waits for the writer. */
  reconcile(): Promise<void>;
  /** Waits until the store holds the fake's version of every object named. */
  caughtUp(...objects: [kind: string, name: string][]): Promise<unknown>;
}

const namespaceOf = (kind: string) => kind === "GatewayClass" ? undefined : "default";

/** Starts the fake with `options.objects`, the kube source and a writer. */
export async function startStatusEnv(options: StatusEnvOptions): Promise<StatusEnv> {
  const kube = await startFakeKube();
  for (const object of options.objects) kube.apply(object);
  const client = await clientFor(kube);
  const source = createKubeSource({
    client,
    store: createStore(),
    logger: silentLogger,
    timing: { backoff: { baseMs: 10, capMs: 100 } },
  });
  await source.start();
  const writer = createStatusWriter({
    client,
    store: options.storeView?.(source.store) ?? source.store,
    controllerName: CONTROLLER,
    logger: silentLogger,
    ...options.writer,
  });
  const translateNow = () => translate(source.store.snapshot(), { controllerName: CONTROLLER });
  const hand = async (result: TranslateResult) => {
    writer.update(result);
    await writer.idle();
  };
  return {
    kube,
    source,
    writer,
    status: (kind, name) => kube.get(GW, kind, namespaceOf(kind), name)?.status as Obj | undefined,
    patched: (code) =>
      kube.requests
        .filter((r) => r.method === "PATCH" && (code === undefined || r.status === code))
        .map((r) => r.path),
    translateNow,
    hand,
    reconcile: () => hand(translateNow()),
    caughtUp: (...objects) =>
      waitFor("the store caught up", () =>
        objects.every(([kind, name]) => {
          const ns = namespaceOf(kind);
          const version = kube.get(GW, kind, ns, name)?.metadata.resourceVersion;
          return source.store.get(kind as "Gateway", ns, name)?.metadata.resourceVersion ===
            version;
        })),
    async [Symbol.asyncDispose]() {
      await writer.stop();
      await source.stop();
      client.close();
      await kube.close();
    },
  };
}

/** ListenerSet `name` in `default` with one HTTP listener on 8081, under Gateway `parent`. */
export function listenerSet(name = "ls", parent = "gw", status?: Obj): Obj {
  return {
    apiVersion: GW,
    kind: "ListenerSet",
    metadata: { name, namespace: "default" },
    spec: {
      parentRef: { name: parent },
      listeners: [{ name: "extra", port: 8081, protocol: "HTTP" }],
    },
    ...(status === undefined ? {} : { status }),
  };
}

/** A status's conditions as `type=status/reason`. */
export function conditionsOf(status: Obj | undefined): string[] {
  return ((status?.conditions ?? []) as { type: string; status: string; reason: string }[])
    .map((c) => `${c.type}=${c.status}/${c.reason}`);
}

/** Leadership a test hands over and takes away with `set`. */
export function manualLeadership(initial: boolean): Leadership & { set(v: boolean): void } {
  let leading = initial;
  const listeners = new Set<(v: boolean) => void>();
  return {
    isLeader: () => leading,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    set(v) {
      leading = v;
      for (const listener of listeners) listener(v);
    },
  };
}
