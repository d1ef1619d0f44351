/**
 * `deno task validator-check`: the manifest validator against a real
 * kube-apiserver. It starts etcd and kube-apiserver from the rig's build
 * (no kubelet, no network namespaces), installs the experimental Gateway API
 * CRDs of the pinned release, and sends generated manifests (valid ones,
 * each known field misspelt, bad values, misspelt kinds) as dry-run creates
 * with strict field validation. Each verdict (accepted or refused) is
 * compared with `validateResource`'s; the differences are printed and the
 * exit code is 1 when there are any.
 * @module
 */
// deno-lint-ignore-file no-console
import { validateResource } from "../../src/resources/validate.ts";
import { buildRig, moduleDir, rigPaths } from "./rig_build.ts";
import { startControlPlane } from "./control_plane.ts";
import { CASES } from "./validator_cases.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const paths = rigPaths(ROOT, Deno.env.toObject());
const log = (line: string) => console.error(`[validator-check] ${line}`);

async function main(): Promise<number> {
  await buildRig(paths, log);
  const crdDir = `${await moduleDir(paths, "sigs.k8s.io/gateway-api")}/config/crd/experimental`;
  const plane = await startControlPlane(paths, log);
  try {
    await plane.installCrds(crdDir);
    return await compare(plane.api);
  } finally {
    await plane.stop();
  }
}

/** Sends every case as a strict dry-run create; counts verdicts that differ. */
async function compare(api: (path: string, init?: RequestInit) => Promise<Response>) {
  const plural: Record<string, string> = {
    GatewayClass: "gatewayclasses",
    Gateway: "gateways",
    HTTPRoute: "httproutes",
    ReferenceGrant: "referencegrants",
  };
  let agree = 0;
  let accepted = 0;
  const differ: string[] = [];
  for (const c of CASES) {
    const raw = c.object as { apiVersion: string; kind: string };
    const ours = validateResource(raw);
    const oursAccepts = ours.ok;
    const namespaced = raw.kind !== "GatewayClass";
    const resource = plural[raw.kind] ?? `${raw.kind.toLowerCase()}s`;
    const path = `/apis/${raw.apiVersion}/${namespaced ? "namespaces/default/" : ""}${resource}` +
      "?dryRun=All&fieldValidation=Strict";
    const res = await api(path, { method: "POST", body: JSON.stringify(raw) });
    const body = await res.json().catch(() => ({}));
    const theirs = res.status === 201 || res.status === 200;
    if (theirs === oursAccepts) {
      agree++;
      if (theirs) accepted++;
      continue;
    }
    differ.push(
      `${c.name}: API server ${theirs ? "accepts" : `refuses (${res.status}: ${body.message})`}; ` +
        `we ${
          oursAccepts
            ? "accept"
            : `refuse (${
              ours.ok || ours.ignored
                ? ""
                : ours.errors.map((e) => `${e.field}: ${e.message}`).join("; ")
            })`
        }`,
    );
  }
  console.log(
    `${agree} of ${CASES.length} cases agree (${accepted} accepted by both, ` +
      `${agree - accepted} refused by both)`,
  );
  for (const line of differ) console.log(`differ: ${line}`);
  return differ.length === 0 ? 0 : 1;
}

Deno.exit(await main());
