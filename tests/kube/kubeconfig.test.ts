import { assertEquals, assertRejects } from "@std/assert";
import {
  loadInClusterConnection,
  loadKubeconfigFile,
  loadKubeConnection,
} from "../../src/kube/kubeconfig.ts";
import { createBackoff } from "../../src/kube/backoff.ts";
import { parseRetryAfter } from "../../src/kube/client.ts";
import { FakeClock } from "../_helpers/fake_clock.ts";

async function serviceAccountDir(token: string) {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/token`, token);
  await Deno.writeTextFile(`${dir}/ca.crt`, "CA PEM");
  await Deno.writeTextFile(`${dir}/namespace`, "gateway-system\n");
  return dir;
}

Deno.test("in-cluster: server from KUBERNETES_SERVICE_HOST/PORT, CA, namespace and token from the ServiceAccount files", async () => {
  const dir = await serviceAccountDir("sa-token\n");
  const env: Record<string, string> = {
    KUBERNETES_SERVICE_HOST: "10.96.0.1",
    KUBERNETES_SERVICE_PORT: "443",
  };
  const conn = await loadKubeConnection({ env: (n) => env[n], serviceAccountDir: dir });
  assertEquals(conn.server, "https://10.96.0.1:443");
  assertEquals(conn.caCerts, ["CA PEM"]);
  assertEquals(conn.namespace, "gateway-system");
  assertEquals(await conn.token(), "sa-token");
});

Deno.test("in-cluster: an IPv6 service host is bracketed", async () => {
  const dir = await serviceAccountDir("t");
  const env: Record<string, string> = {
    KUBERNETES_SERVICE_HOST: "fd00::1",
    KUBERNETES_SERVICE_PORT: "6443",
  };
  const conn = await loadInClusterConnection({ env: (n) => env[n], serviceAccountDir: dir });
  assertEquals(conn.server, "https://[fd00::1]:6443");
});

Deno.test("in-cluster: a rotated token file is picked up by refreshToken and by the periodic re-read", async () => {
  const dir = await serviceAccountDir("old");
  const env: Record<string, string> = { KUBERNETES_SERVICE_HOST: "10.0.0.1" };
  const clock = new FakeClock();
  const conn = await loadInClusterConnection({
    env: (n) => env[n],
    serviceAccountDir: dir,
    tokenReloadMs: 50,
    clock,
  });
  assertEquals(await conn.token(), "old");
  await Deno.writeTextFile(`${dir}/token`, "new");
  assertEquals(await conn.refreshToken(), true);
  assertEquals(await conn.token(), "new");
  await Deno.writeTextFile(`${dir}/token`, "newer");
  await clock.advance(49);
  assertEquals(await conn.token(), "new", "not re-read before the period");
  await clock.advance(1);
  assertEquals(await conn.token(), "newer");
});

Deno.test("kubeconfig: current context selects cluster, user and namespace; inline data is decoded", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/config`;
  await Deno.writeTextFile(
    path,
    `apiVersion: v1
kind: Config
current-context: b
clusters:
- { name: one, cluster: { server: "https://one.example:6443/" } }
- { name: two, cluster: { server: "https://two.example:6443", certificate-authority-data: ${
      btoa("CA2")
    } } }
users:
- { name: u, user: { client-certificate-data: ${btoa("CERT")}, client-key-data: ${btoa("KEY")} } }
contexts:
- { name: a, context: { cluster: one, user: u } }
- { name: b, context: { cluster: two, user: u, namespace: team } }
`,
  );
  const conn = await loadKubeconfigFile(path);
  assertEquals(conn.server, "https://two.example:6443");
  assertEquals(conn.caCerts, ["CA2"]);
  assertEquals(conn.clientCert, "CERT");
  assertEquals(conn.clientKey, "KEY");
  assertEquals(conn.namespace, "team");
  assertEquals(await conn.token(), undefined);
});

Deno.test("kubeconfig: a file written as JSON is read like its YAML form", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/config`;
  await Deno.writeTextFile(
    path,
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      "current-context": "c",
      clusters: [{
        name: "k",
        cluster: { server: "https://k.example:6443", "certificate-authority-data": btoa("CA") },
      }],
      users: [{ name: "u", user: { token: "json-token" } }],
      contexts: [{ name: "c", context: { cluster: "k", user: "u", namespace: "ns" } }],
    }),
  );
  const conn = await loadKubeconfigFile(path);
  assertEquals(conn.server, "https://k.example:6443");
  assertEquals(conn.caCerts, ["CA"]);
  assertEquals(conn.namespace, "ns");
  assertEquals(await conn.token(), "json-token");
});

Deno.test("kubeconfig: a YAML flow mapping that is not JSON is still read as YAML", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/config`;
  await Deno.writeTextFile(
    path,
    `{ current-context: c, clusters: [{ name: k, cluster: { server: "https://k.example" } }],
  users: [{ name: u, user: { token: t } }], contexts: [{ name: c, context: { cluster: k, user: u } }] }`,
  );
  const conn = await loadKubeconfigFile(path);
  assertEquals(conn.server, "https://k.example");
  assertEquals(await conn.token(), "t");
});

Deno.test("kubeconfig: relative certificate-authority paths resolve against the file's directory", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/ca.pem`, "CA FILE");
  await Deno.writeTextFile(
    `${dir}/config`,
    `current-context: c
clusters: [{ name: k, cluster: { server: "https://k:1", certificate-authority: ca.pem } }]
users: [{ name: u, user: { token: abc } }]
contexts: [{ name: c, context: { cluster: k, user: u } }]
`,
  );
  const conn = await loadKubeconfigFile(`${dir}/config`);
  assertEquals(conn.caCerts, ["CA FILE"]);
  assertEquals(await conn.token(), "abc");
});

Deno.test("kubeconfig: auth-provider plugins and missing contexts are rejected with a clear message", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(
    `${dir}/provider`,
    `current-context: c
clusters: [{ name: k, cluster: { server: "https://k:1" } }]
users: [{ name: u, user: { auth-provider: { name: gcp } } }]
contexts: [{ name: c, context: { cluster: k, user: u } }]
`,
  );
  await assertRejects(
    () => loadKubeconfigFile(`${dir}/provider`),
    Error,
    '"auth-provider" authentication is not supported',
  );
  await Deno.writeTextFile(`${dir}/nocontext`, "current-context: missing\n");
  await assertRejects(
    () => loadKubeconfigFile(`${dir}/nocontext`),
    Error,
    'context "missing" is not defined',
  );
});

Deno.test("backoff: full jitter below a doubling ceiling capped at 30 s; Retry-After is a floor", () => {
  const backoff = createBackoff({ baseMs: 100, capMs: 30_000, random: () => 0.999 });
  const waits = Array.from({ length: 12 }, () => Math.round(backoff.next()));
  assertEquals(waits.slice(0, 3), [100, 200, 400]);
  assertEquals(waits.at(-1), 29970);
  const zero = createBackoff({ random: () => 0 });
  assertEquals(zero.next(), 0);
  assertEquals(zero.next(2000), 2000);
});

Deno.test("Retry-After is read as seconds or as an HTTP date", () => {
  assertEquals(parseRetryAfter("3"), 3000);
  assertEquals(
    parseRetryAfter("Wed, 21 Oct 2015 07:28:05 GMT", Date.parse("2015-10-21T07:28:00Z")),
    5000,
  );
  assertEquals(parseRetryAfter("soon"), undefined);
  assertEquals(parseRetryAfter(null), undefined);
});
