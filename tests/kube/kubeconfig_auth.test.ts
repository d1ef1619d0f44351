/**
 * Kubeconfig authentication as users have it: exec credential plugins (a
 * script the test writes prints the ExecCredential), client certificates
 * checked by a server that requires them, token files, and
 * insecure-skip-tls-verify against a server whose certificate nothing trusts.
 */
import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { createServer, type Server } from "node:https";
import type { TLSSocket } from "node:tls";
import { createKubeClient } from "../../src/kube/client.ts";
import { loadKubeconfigFile } from "../../src/kube/kubeconfig.ts";
import { createLogger } from "../../src/log/logger.ts";
import { createTestCa } from "../_helpers/certs.ts";

/** Writes a kubeconfig whose one context uses `cluster` and `user` (YAML flow maps). */
async function kubeconfig(dir: string, cluster: string, user: string): Promise<string> {
  const path = `${dir}/config`;
  await Deno.writeTextFile(
    path,
    `current-context: c
clusters: [{ name: k, cluster: ${cluster} }]
users: [{ name: u, user: ${user} }]
contexts: [{ name: c, context: { cluster: k, user: u, namespace: ns } }]
`,
  );
  return path;
}

/**
 * A plugin script: prints an ExecCredential whose token counts the runs
 * (`t1`, `t2`, ...), expiring at the time in the file `expires`, and records
 * its environment and arguments for the test to read.
 */
async function plugin(dir: string, expires: string): Promise<string> {
  await Deno.writeTextFile(`${dir}/expires`, expires);
  const path = `${dir}/bin/get-token`;
  await Deno.mkdir(`${dir}/bin`, { recursive: true });
  await Deno.writeTextFile(
    path,
    `#!/bin/sh
n=$(( $(cat "${dir}/runs" 2>/dev/null || echo 0) + 1 ))
echo $n > "${dir}/runs"
printf '%s\\n%s\\n%s\\n' "$KUBERNETES_EXEC_INFO" "$CLUSTER_NAME" "$*" > "${dir}/seen"
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"t%s","expirationTimestamp":"%s"}}' $n "$(cat "${dir}/expires")"
`,
  );
  await Deno.chmod(path, 0o755);
  return path;
}

Deno.test("exec plugin: runs with args, env and KUBERNETES_EXEC_INFO; its token is kept until it expires", async () => {
  const dir = await Deno.makeTempDir();
  await plugin(dir, "2030-01-01T00:00:00Z");
  const path = await kubeconfig(
    dir,
    `{ server: "https://k:1" }`,
    // A relative command with a slash resolves against the kubeconfig's directory.
    `{ exec: { apiVersion: client.authentication.k8s.io/v1, command: ./bin/get-token, args: [eks, get-token], env: [{ name: CLUSTER_NAME, value: prod }] } }`,
  );
  let now = Date.parse("2029-12-31T23:00:00Z");
  const conn = await loadKubeconfigFile(path, { wallClock: () => now });
  const [info, cluster, args] = (await Deno.readTextFile(`${dir}/seen`)).split("\n");
  assertEquals(JSON.parse(info), {
    apiVersion: "client.authentication.k8s.io/v1",
    kind: "ExecCredential",
    spec: { interactive: false },
  });
  assertEquals(cluster, "prod");
  assertEquals(args, "eks get-token");
  assertEquals(await conn.token(), "t1");
  assertEquals(await conn.token(), "t1", "not run again before the expiry");
  await Deno.writeTextFile(`${dir}/expires`, "2030-01-01T02:00:00Z");
  now = Date.parse("2030-01-01T00:00:00Z");
  assertEquals(await conn.token(), "t2", "run again once expired");
  assertEquals(await conn.token(), "t2", "the new token lasts until its own expiry");
  assertEquals(await conn.refreshToken(), true, "a 401 runs it again");
  assertEquals(await conn.token(), "t3");
  assertEquals(conn.namespace, "ns");
});

Deno.test("exec plugin: a failing, missing or silent plugin stops loading with its reason", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(
    `${dir}/fail`,
    "#!/bin/sh\necho 'token expired, run aws sso login' >&2\nexit 3\n",
  );
  await Deno.writeTextFile(
    `${dir}/empty`,
    '#!/bin/sh\necho \'{"kind":"ExecCredential","status":{}}\'\n',
  );
  await Deno.chmod(`${dir}/fail`, 0o755);
  await Deno.chmod(`${dir}/empty`, 0o755);
  const load = async (user: string) =>
    await loadKubeconfigFile(await kubeconfig(dir, `{ server: "https://k:1" }`, user));
  await assertRejects(
    () => load(`{ exec: { command: ./fail } }`),
    Error,
    'Cannot get a credential from the kubeconfig exec plugin "./fail": exit code 3: token expired, run aws sso login',
  );
  await assertRejects(
    () => load(`{ exec: { command: no-such-plugin-here, installHint: "install it" } }`),
    Error,
    'Cannot run the kubeconfig exec plugin "no-such-plugin-here": command not found (install it)',
  );
  await assertRejects(
    () => load(`{ exec: { command: ./empty } }`),
    SyntaxError,
    "the status has neither a token nor a client certificate and key",
  );
});

/** A TLS server that answers `{"cn": <client certificate CN or null>}`. */
async function whoAmIServer(
  cert: { certPem: string; keyPem: string },
  clientCa?: string,
): Promise<{ url: string; server: Server } & AsyncDisposable> {
  const server = createServer({
    cert: cert.certPem,
    key: cert.keyPem,
    ...(clientCa ? { ca: clientCa, requestCert: true, rejectUnauthorized: true } : {}),
  }, (req, res) => {
    const peer = (req.socket as TLSSocket).getPeerCertificate?.();
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ cn: peer?.subject?.CN ?? null, auth: req.headers.authorization }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `https://127.0.0.1:${port}`,
    server,
    async [Symbol.asyncDispose]() {
      server.closeAllConnections?.();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

Deno.test("client certificate and key files are presented to a server that requires them", async () => {
  await using ca = await createTestCa();
  const dir = await Deno.makeTempDir();
  const serverCert = await ca.issue(["127.0.0.1"]);
  const user = await ca.issue([], { commonName: "gateway-user", clientAuth: true });
  await Deno.writeTextFile(`${dir}/ca.crt`, ca.certPem);
  await Deno.writeTextFile(`${dir}/user.crt`, user.certPem);
  await Deno.writeTextFile(`${dir}/user.key`, user.keyPem);
  await using server = await whoAmIServer(serverCert, ca.certPem);
  const path = await kubeconfig(
    dir,
    `{ server: "${server.url}", certificate-authority: ca.crt }`,
    `{ client-certificate: user.crt, client-key: user.key }`,
  );
  const client = createKubeClient(await loadKubeconfigFile(path));
  try {
    assertEquals(await client.json("GET", "/api"), { cn: "gateway-user" });
  } finally {
    client.close();
  }
});

Deno.test("exec plugin: a client certificate it returns is presented", async () => {
  await using ca = await createTestCa();
  const dir = await Deno.makeTempDir();
  const serverCert = await ca.issue(["127.0.0.1"]);
  const user = await ca.issue([], { commonName: "exec-user", clientAuth: true });
  await Deno.writeTextFile(`${dir}/ca.crt`, ca.certPem);
  await Deno.writeTextFile(
    `${dir}/cred.json`,
    JSON.stringify({
      apiVersion: "client.authentication.k8s.io/v1",
      kind: "ExecCredential",
      status: { clientCertificateData: user.certPem, clientKeyData: user.keyPem },
    }),
  );
  await Deno.writeTextFile(`${dir}/cert-plugin`, `#!/bin/sh\ncat "${dir}/cred.json"\n`);
  await Deno.chmod(`${dir}/cert-plugin`, 0o755);
  await using server = await whoAmIServer(serverCert, ca.certPem);
  const path = await kubeconfig(
    dir,
    `{ server: "${server.url}", certificate-authority: ca.crt }`,
    `{ exec: { command: ./cert-plugin } }`,
  );
  const client = createKubeClient(await loadKubeconfigFile(path));
  try {
    assertEquals(await client.json("GET", "/api"), { cn: "exec-user" });
  } finally {
    client.close();
  }
});

Deno.test("tokenFile: a relative path is read from the kubeconfig's directory and sent as the bearer token", async () => {
  await using ca = await createTestCa();
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/ca.crt`, ca.certPem);
  await Deno.writeTextFile(`${dir}/token`, "file-token\n");
  await using server = await whoAmIServer(await ca.issue(["127.0.0.1"]));
  const path = await kubeconfig(
    dir,
    `{ server: "${server.url}", certificate-authority: ca.crt }`,
    `{ tokenFile: token }`,
  );
  const client = createKubeClient(await loadKubeconfigFile(path));
  try {
    assertEquals(await client.json("GET", "/api"), { cn: null, auth: "Bearer file-token" });
  } finally {
    client.close();
  }
});

Deno.test("insecure-skip-tls-verify: an untrusted server certificate is accepted, with a warning; never together with a CA", async () => {
  await using untrusted = await createTestCa("nobody trusts this CA");
  const dir = await Deno.makeTempDir();
  await using server = await whoAmIServer(await untrusted.issue(["not-this-host.example"]));
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ level: "debug", write: (l) => lines.push(JSON.parse(l)) });

  const verified = await kubeconfig(dir, `{ server: "${server.url}" }`, `{ token: abc }`);
  const strict = createKubeClient(await loadKubeconfigFile(verified));
  try {
    await assertRejects(() => strict.json("GET", "/api"), Error, "Cannot GET /api");
  } finally {
    strict.close();
  }

  const path = await kubeconfig(
    dir,
    `{ server: "${server.url}", insecure-skip-tls-verify: true }`,
    `{ token: abc }`,
  );
  const conn = await loadKubeconfigFile(path, { logger });
  assertEquals(conn.insecureSkipTlsVerify, true);
  const warning = lines.find((l) => l.level === "warn");
  assert(warning, "a warning is logged");
  assertStringIncludes(String(warning.msg), "insecure-skip-tls-verify");
  const client = createKubeClient(conn);
  try {
    assertEquals(await client.json("GET", "/api"), { cn: null, auth: "Bearer abc" });
  } finally {
    client.close();
  }

  await Deno.writeTextFile(`${dir}/ca.crt`, untrusted.certPem);
  const both = await kubeconfig(
    dir,
    `{ server: "${server.url}", insecure-skip-tls-verify: true, certificate-authority: ca.crt }`,
    `{ token: abc }`,
  );
  await assertRejects(
    () => loadKubeconfigFile(both),
    Error,
    "insecure-skip-tls-verify and certificate-authority exclude each other",
  );
});
