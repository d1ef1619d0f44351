/**
 * etcd and a kube-apiserver from the rig's build, alone: no kubelet, no
 * controller manager, no network namespaces. For checks and benchmarks that
 * need the real API server's answers (validation, watches, latency) but no
 * Pods. Listens on 127.0.0.1 only; an admin client certificate (group
 * `system:masters`) from the test PKI authenticates.
 * @module
 */
import { parse } from "yaml";
import { createTestCa } from "../../tests/_helpers/certs.ts";
import type { RigPaths } from "./rig_build.ts";
import { freePort, type LoggedChild, spawnLogged, stopChild, waitUntil } from "./rig_run.ts";

/** A running control plane. */
export interface ControlPlane {
  /** `https://127.0.0.1:<port>` */
  url: string;
  /** Where its PKI and logs are. */
  dir: string;
  caPem: string;
  /** The admin client certificate and key. */
  certPem: string;
  keyPem: string;
  /** A request to the API server as admin. */
  api(path: string, init?: RequestInit): Promise<Response>;
  /** Installs the Gateway API CRDs of `crdDir` and waits until they serve. */
  installCrds(crdDir: string): Promise<void>;
  stop(): Promise<void>;
}

/** Starts etcd and kube-apiserver (built by `buildRig`) and waits until the API server is ready. */
export async function startControlPlane(
  paths: RigPaths,
  log: (line: string) => void,
): Promise<ControlPlane> {
  const dir = await Deno.makeTempDir({ prefix: "serval-control-plane-" });
  await makePki(dir);
  const children = await start(paths, dir);
  const caPem = await Deno.readTextFile(`${dir}/ca.crt`);
  const certPem = await Deno.readTextFile(`${dir}/admin.crt`);
  const keyPem = await Deno.readTextFile(`${dir}/admin.key`);
  const client = Deno.createHttpClient({ caCerts: [caPem], cert: certPem, key: keyPem });
  const url = children.url;
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${url}${path}`, {
      ...init,
      client,
      headers: { "content-type": "application/json", ...init.headers },
    });
  const stop = async () => {
    client.close();
    for (const child of children.children) await stopChild(child, 10_000);
  };
  try {
    await waitUntil("the API server", children.children[0], 120_000, async () => {
      try {
        const res = await api("/readyz");
        await res.body?.cancel();
        return res.ok;
      } catch {
        return false;
      }
    });
  } catch (error) {
    await stop();
    throw error;
  }
  log(`API server ready at ${url}`);
  return {
    url,
    dir,
    caPem,
    certPem,
    keyPem,
    api,
    installCrds: (crdDir) => installCrds(api, children.children[0], crdDir),
    stop,
  };
}

async function installCrds(
  api: ControlPlane["api"],
  server: LoggedChild,
  crdDir: string,
): Promise<void> {
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
  await waitUntil("the CRDs", server, 60_000, async () => {
    const res = await api("/apis/gateway.networking.k8s.io/v1/namespaces/default/httproutes");
    await res.body?.cancel();
    return res.ok;
  });
}

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

async function start(
  paths: RigPaths,
  dir: string,
): Promise<{ children: LoggedChild[]; url: string }> {
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
