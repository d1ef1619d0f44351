/**
 * The two CRDs `_api_cost.ts` adds to the benchmark's own API server: one
 * without a schema, and the HTTPRoute CRD of the pinned release (from the Go
 * module cache) with its CEL rules taken out, each under a group of its own.
 * @module
 */
import { parse } from "yaml";
import type { RawKube } from "./_real_kube.ts";

const CEL_RULES = "x-kubernetes-validations";

/**
 * Installs `plainroutes.<plainGroup>` (no schema) and
 * `httproutes.<noCelGroup>` (HTTPRoute without CEL rules), waits until both
 * serve, and returns how many CEL rule sets the HTTPRoute CRD holds.
 */
export async function installCostCrds(
  kube: RawKube,
  plainGroup: string,
  noCelGroup: string,
): Promise<number> {
  const crd = parse(
    await Deno.readTextFile(`${kube.crdDir}/gateway.networking.k8s.io_httproutes.yaml`),
  );
  await installCrd(kube, plainCrd(plainGroup));
  await installCrd(kube, renamed(stripKey(crd, CEL_RULES), noCelGroup));
  return countKey(crd, CEL_RULES);
}

/** A CRD of group `group` that keeps any field: no schema to check. */
function plainCrd(group: string): Record<string, unknown> {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `plainroutes.${group}` },
    spec: {
      group,
      scope: "Namespaced",
      names: {
        plural: "plainroutes",
        singular: "plainroute",
        kind: "PlainRoute",
        listKind: "PlainRouteList",
      },
      versions: [{
        name: "v1",
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
        },
      }],
    },
  };
}

/** `crd` under `group` (its name follows), without its annotations. */
function renamed(crd: Record<string, unknown>, group: string): Record<string, unknown> {
  const spec = crd.spec as { names: { plural: string } };
  return {
    apiVersion: crd.apiVersion,
    kind: crd.kind,
    metadata: { name: `${spec.names.plural}.${group}` },
    spec: { ...spec, group },
  };
}

/** Creates `crd` and waits until its resource serves. */
async function installCrd(kube: RawKube, crd: Record<string, unknown>): Promise<void> {
  const res = await kube.api("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", {
    method: "POST",
    body: JSON.stringify(crd),
  });
  const text = await res.text();
  if (!res.ok && res.status !== 409) {
    throw new Error(
      `Cannot create CRD ${(crd.metadata as { name: string }).name}: ${res.status} ${
        text.slice(0, 300)
      }`,
    );
  }
  const spec = crd.spec as { group: string; names: { plural: string } };
  const list = `/apis/${spec.group}/v1/namespaces/default/${spec.names.plural}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const probe = await kube.api(list);
    await probe.body?.cancel();
    if (probe.ok) return;
    if (Date.now() > deadline) throw new Error(`Cannot see CRD ${list} served within 60 s`);
    // Establishing a CRD is the API server's own asynchronous step; nothing to wait on but the list.
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** A copy of `value` without any property named `key`, at any depth. */
function stripKey<T>(value: T, key: string): T {
  if (Array.isArray(value)) return value.map((v) => stripKey(v, key)) as T;
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (k !== key) out[k] = stripKey(v, key);
  return out as T;
}

/** How many properties named `key` `value` holds, at any depth. */
function countKey(value: unknown, key: string): number {
  if (Array.isArray(value)) return value.reduce((n, v) => n + countKey(v, key), 0);
  if (value === null || typeof value !== "object") return 0;
  let n = 0;
  for (const [k, v] of Object.entries(value)) n += (k === key ? 1 : 0) + countKey(v, key);
  return n;
}
