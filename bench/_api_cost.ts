/**
 * What the real API server itself costs for one write, for
 * `bench/scale.ts --api real --api-cost`: the probes' HTTPRoute beside
 * objects that skip part of its path, each written the way the probes write
 * (server-side apply), by a plain create, and by a create the server runs
 * dry (everything but storing it). The differences say where the create
 * call's time goes:
 *
 * - a ConfigMap of the same size: a built-in type (no CRD handler);
 * - the same spec under a CRD without a schema: the CRD write path alone;
 * - the same spec under the HTTPRoute CRD with its CEL rules taken out:
 *   structural validation, defaulting and pruning without CEL;
 * - the HTTPRoute itself: all of it, CEL included;
 * - a GET of a Namespace: the floor of any call (TLS, authentication,
 *   authorisation, the round trip).
 *
 * Kinds and methods take turns, so a busy machine's noise falls on all of
 * them alike. The two extra CRDs are made by `_api_cost_crds.ts`.
 * @module
 */
import type { KubeObjectLike, RawKube } from "./_real_kube.ts";
import { installCostCrds } from "./_api_cost_crds.ts";

/** Mean, median and max of one measure, ms. */
export interface Stat {
  mean: number;
  median: number;
  max: number;
}

/** One kind of object, written three ways. */
export interface ApiCostRow {
  label: string;
  /** The object's JSON size, bytes. */
  bytes: number;
  apply: Stat;
  create: Stat;
  dryRun: Stat;
}

/** The table `apiCostLines` prints. */
export interface ApiCost {
  samples: number;
  rows: ApiCostRow[];
  /** A GET of a Namespace. */
  floor: Stat;
  /** CEL rule sets (`x-kubernetes-validations`) in the HTTPRoute CRD. */
  celRuleSets: number;
  /** The probes' own create calls, ms (the gateway running and watching), to hold the same apply made alone against. */
  probeCreates?: number[];
}

const PLAIN_GROUP = "plain.bench.serval.test";
const NO_CEL_GROUP = "nocel.bench.serval.test";

/** A kind written by the measurement: how its objects look and where they go. */
interface CostKind {
  label: string;
  object(name: string): KubeObjectLike;
  collection: string;
}

/**
 * Measures `samples` writes of each kind and method on `kube`, with `route`
 * (an HTTPRoute as the probes write it) as the model object.
 */
export async function measureApiCost(
  kube: RawKube,
  route: (name: string) => KubeObjectLike,
  samples: number,
): Promise<ApiCost> {
  const celRuleSets = await installCostCrds(kube, PLAIN_GROUP, NO_CEL_GROUP);
  const kinds = costKinds(route);
  const times = kinds.map(() => ({
    apply: [] as number[],
    create: [] as number[],
    dryRun: [] as number[],
  }));
  const floor: number[] = [];
  // One untimed round first: the first write of a kind fills caches a steady writer has warm.
  for (let i = -1; i < samples; i++) {
    for (let k = 0; k < kinds.length; k++) {
      const at = (k + Math.max(0, i)) % kinds.length;
      const t = await writeThreeWays(kube, kinds[at], i);
      if (i >= 0) {
        times[at].apply.push(t.apply);
        times[at].create.push(t.create);
        times[at].dryRun.push(t.dryRun);
      }
    }
    const ms = await timed(kube, "/api/v1/namespaces/default", { method: "GET" });
    if (i >= 0) floor.push(ms);
  }
  return {
    samples,
    celRuleSets,
    floor: stat(floor),
    rows: kinds.map((kind, k) => ({
      label: kind.label,
      bytes: JSON.stringify(kind.object("cost-size")).length,
      apply: stat(times[k].apply),
      create: stat(times[k].create),
      dryRun: stat(times[k].dryRun),
    })),
  };
}

/** The four kinds, each object the size of the HTTPRoute (the ConfigMap padded to it). */
function costKinds(route: (name: string) => KubeObjectLike): CostKind[] {
  const as = (apiVersion: string, kind: string) => (name: string) => ({
    ...route(name),
    apiVersion,
    kind,
  });
  const routeBytes = JSON.stringify(route("cost-size")).length;
  const configMap = (name: string): KubeObjectLike => {
    const spec = JSON.stringify((route(name) as unknown as { spec: unknown }).spec);
    const object = { apiVersion: "v1", kind: "ConfigMap", metadata: route(name).metadata };
    const bare = JSON.stringify({ ...object, data: { spec, pad: "" } }).length;
    return { ...object, data: { spec, pad: "x".repeat(Math.max(0, routeBytes - bare)) } } as
      & KubeObjectLike
      & Record<string, unknown>;
  };
  return [
    {
      label: "ConfigMap of the same size",
      object: configMap,
      collection: "/api/v1/namespaces/default/configmaps",
    },
    {
      label: "the same spec, CRD without a schema",
      object: as(`${PLAIN_GROUP}/v1`, "PlainRoute"),
      collection: `/apis/${PLAIN_GROUP}/v1/namespaces/default/plainroutes`,
    },
    {
      label: "HTTPRoute schema without its CEL rules",
      object: as(`${NO_CEL_GROUP}/v1`, "HTTPRoute"),
      collection: `/apis/${NO_CEL_GROUP}/v1/namespaces/default/httproutes`,
    },
    {
      label: "HTTPRoute (schema and CEL rules)",
      object: as("gateway.networking.k8s.io/v1", "HTTPRoute"),
      collection: "/apis/gateway.networking.k8s.io/v1/namespaces/default/httproutes",
    },
  ];
}

/** Writes a new object of `kind` by apply, by create, and by a dry-run create; ms each. */
async function writeThreeWays(
  kube: RawKube,
  kind: CostKind,
  i: number,
): Promise<{ apply: number; create: number; dryRun: number }> {
  const n = i < 0 ? "warm" : `${i}`;
  const applied = kind.object(`cost-apply-${n}`);
  const apply = await timed(
    kube,
    `${kind.collection}/${applied.metadata.name}?fieldManager=serval-bench&force=true`,
    {
      method: "PATCH",
      body: JSON.stringify(applied),
      headers: { "content-type": "application/apply-patch+yaml" },
    },
  );
  const create = await timed(kube, kind.collection, {
    method: "POST",
    body: JSON.stringify(kind.object(`cost-create-${n}`)),
  });
  const dryRun = await timed(kube, `${kind.collection}?dryRun=All`, {
    method: "POST",
    body: JSON.stringify(kind.object(`cost-dry-${n}`)),
  });
  return { apply, create, dryRun };
}

/** One call's time to its whole answer, ms; a refusal fails the measurement. */
async function timed(kube: RawKube, path: string, init: RequestInit): Promise<number> {
  const t0 = performance.now();
  const res = await kube.api(path, init);
  const text = await res.text();
  const ms = performance.now() - t0;
  if (!res.ok) {
    throw new Error(
      `Cannot write for the API cost: ${init.method} ${path}: ${res.status} ${text.slice(0, 300)}`,
    );
  }
  return ms;
}

function stat(values: number[]): Stat {
  const sorted = [...values].sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 100) / 100;
  if (sorted.length === 0) return { mean: NaN, median: NaN, max: NaN };
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return {
    mean: round(sorted.reduce((a, b) => a + b, 0) / sorted.length),
    median: round(median),
    max: round(sorted[sorted.length - 1]),
  };
}

/** The table, and the differences that answer where the time goes. */
export function apiCostLines(cost: ApiCost, context: string): string[] {
  const probes = cost.probeCreates;
  const cell = (s: Stat) =>
    `${s.mean.toFixed(2)} / ${s.median.toFixed(2)} / ${s.max.toFixed(2)}`.padStart(24);
  const label = (text: string) => `  ${text.padEnd(48)}`;
  const [configMap, plain, noCel, route] = cost.rows;
  const d = (a: Stat, b: Stat) => (a.median - b.median).toFixed(2);
  return [
    `API server cost of one write (${context}; ${cost.samples} of each, kinds taking turns),` +
    ` mean / median / max ms:`,
    label("") + ["apply (as the probes)", "create", "create, dry run"].map((h) => h.padStart(24))
      .join(""),
    ...cost.rows.map((r) =>
      label(`${r.label} (${r.bytes} B)`) + cell(r.apply) + cell(r.create) + cell(r.dryRun)
    ),
    label("GET a Namespace (the floor of any call)") + cell(cost.floor),
    ...(probes?.length
      ? [label("the probes' own apply (gateway running)") + cell(stat(probes))]
      : []),
    `  by the medians of apply: CEL rules (${cost.celRuleSets} rule sets in the CRD)` +
    ` ${d(route.apply, noCel.apply)}; schema, defaults and pruning ${
      d(noCel.apply, plain.apply)
    };` +
    ` a CRD's write path against a built-in's ${d(plain.apply, configMap.apply)}`,
    `  HTTPRoute: storing it (create − dry run) ${d(route.create, route.dryRun)};` +
    ` server-side apply's own share (apply − create) ${d(route.apply, route.create)};` +
    ` the rest over the floor ${d(route.dryRun, cost.floor)}`,
  ];
}
