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
import { parse } from "yaml";
import { validateResource } from "../../src/resources/validate.ts";
import { createTestCa } from "../../tests/_helpers/certs.ts";
import { buildRig, moduleDir, rigPaths } from "./rig_build.ts";
import { freePort, type LoggedChild, spawnLogged, stopChild, waitUntil } from "./rig_run.ts";
import { CASES } from "./validator_cases.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const paths = rigPaths(ROOT, Deno.env.toObject());
const log = (line: string) => console.error(`[validator-check] ${line}`);

/**
 * A CA, a serving certificate for 127.0.0.1, an admin client (group
 * `system:masters`) and a service-account key pair, written into `dir`. The
 * certificates come from the test PKI the unit tests use.
 */
async function makePki(dir: string): Promise<void> {
  await using ca = await createTestCa("check-ca");
  const server = await ca.issue(["127.0.0.1"]);
  const admin = await ca.issue([], {
    commonName: "admin",
    organization: "system:masters",
    clientAuth: true,
  });
  await Deno.writeTextFile(`${dir}/ca.crt`, ca.certPem);
  for (const [name, issued] of [["server", server], ["admin", admin]] as const) {
    await Deno.writeTextFile(`${dir}/${name}.crt`, issued.certPem);
    await Deno.writeTextFile(`${dir}/${name}.key`, issued.keyPem);
  }
  const sa = await crypto.subtle.generateKey(
    {
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-256",
    },
    true,
    ["sign", "verify"],
  );
  const pem = (label: string, der: ArrayBuffer) =>
    `-----BEGIN ${label}-----\n${
      btoa(String.fromCharCode(...new Uint8Array(der))).match(/.{1,64}/g)!.join("\n")
    }\n-----END ${label}-----\n`;
  await Deno.writeTextFile(
    `${dir}/sa.key`,
    pem("PRIVATE KEY", await crypto.subtle.exportKey("pkcs8", sa.privateKey)),
  );
  await Deno.writeTextFile(
    `${dir}/sa.pub`,
    pem("PUBLIC KEY", await crypto.subtle.exportKey("spki", sa.publicKey)),
  );
}

async function start(dir: string): Promise<{ children: LoggedChild[]; url: string }> {
  const etcdPort = freePort();
  const etcd = await spawnLogged("etcd", `${paths.bin}/etcd`, [
    `-data-dir=${dir}/etcd`,
    `-listen-client=http://127.0.0.1:${etcdPort}`,
    `-listen-peer=http://127.0.0.1:${freePort()}`,
  ], `${dir}/etcd.log`);
  const apiPort = freePort();
  const api = await spawnLogged("kube-apiserver", `${paths.bin}/kube-apiserver`, [
    `--etcd-servers=http://127.0.0.1:${etcdPort}`,
    "--bind-address=127.0.0.1",
    "--advertise-address=127.0.0.1",
    `--secure-port=${apiPort}`,
    `--cert-dir=${dir}/apiserver-certs`,
    `--tls-cert-file=${dir}/server.crt`,
    `--tls-private-key-file=${dir}/server.key`,
    `--client-ca-file=${dir}/ca.crt`,
    "--service-account-issuer=https://kubernetes.default.svc",
    `--service-account-key-file=${dir}/sa.pub`,
    `--service-account-signing-key-file=${dir}/sa.key`,
    "--service-cluster-ip-range=10.96.0.0/16",
    "--authorization-mode=RBAC",
    "--endpoint-reconciler-type=none",
    "--enable-priority-and-fairness=false",
    "--profiling=false",
  ], `${dir}/apiserver.log`);
  return { children: [api, etcd], url: `https://127.0.0.1:${apiPort}` };
}

async function main(): Promise<number> {
  await buildRig(paths, log);
  const crdDir = `${await moduleDir(paths, "sigs.k8s.io/gateway-api")}/config/crd/experimental`;
  const dir = await Deno.makeTempDir({ prefix: "serval-validator-check-" });
  await makePki(dir);
  const { children, url } = await start(dir);
  const client = Deno.createHttpClient({
    caCerts: [await Deno.readTextFile(`${dir}/ca.crt`)],
    cert: await Deno.readTextFile(`${dir}/admin.crt`),
    key: await Deno.readTextFile(`${dir}/admin.key`),
  });
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${url}${path}`, {
      ...init,
      client,
      headers: { "content-type": "application/json", ...init.headers },
    });
  try {
    await waitUntil("the API server", children[0], 120_000, async () => {
      try {
        const res = await api("/readyz");
        await res.body?.cancel();
        return res.ok;
      } catch {
        return false;
      }
    });
    log(`API server ready at ${url}`);
    for (const entry of Deno.readDirSync(crdDir)) {
      if (!entry.name.startsWith("gateway.networking.k8s.io_") || entry.name.includes("vap")) {
        continue;
      }
      const crd = parse(await Deno.readTextFile(`${crdDir}/${entry.name}`));
      const res = await api("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", {
        method: "POST",
        body: JSON.stringify(crd),
      });
      await res.body?.cancel();
    }
    await waitUntil("the CRDs", children[0], 60_000, async () => {
      const res = await api("/apis/gateway.networking.k8s.io/v1/namespaces/default/httproutes");
      await res.body?.cancel();
      return res.ok;
    });
    return await compare(api);
  } finally {
    client.close();
    for (const child of children) await stopChild(child, 10_000);
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
