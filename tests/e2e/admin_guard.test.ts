/**
 * The admin API of the real gateway process against what a browser page on
 * the node (DNS rebinding, cross-site POST) or a client without credentials
 * can send: raw requests on the admin port, a token file rotated on disk,
 * and TLS with client certificates.
 */
import { assert, assertEquals, assertRejects } from "@std/assert";
import { createTestCa } from "../_helpers/certs.ts";
import { freePort, startGateway } from "../_helpers/gateway_process.ts";
import { rawRequest } from "../dataplane/_proxy.ts";
import { gatewayYaml, writeManifests } from "./_manifests.ts";

/** A manifests directory with one Gateway and no route: enough to be ready. */
async function manifests(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "serval-admin-" });
  await writeManifests(dir, { "gateway.yaml": gatewayYaml(freePort()) });
  return dir;
}

Deno.test("the admin API refuses foreign Host and Origin, and serves loopback names", async () => {
  await using gw = await startGateway({ manifests: await manifests() });
  const port = gw.adminPort;
  const status = async (head: string) => (await rawRequest(port, head)).status;
  assertEquals(await status(`GET /config HTTP/1.1\r\nHost: evil.example:${port}`), 403);
  assertEquals(
    await status(
      `POST /reload HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nOrigin: http://evil.example\r\nContent-Length: 0`,
    ),
    403,
  );
  for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]) {
    assertEquals(await status(`GET /config HTTP/1.1\r\nHost: ${host}`), 200, host);
  }
  // The telemetry port keeps answering probes whatever the Host (kubelet uses the pod IP).
  const probe = await rawRequest(gw.telemetryPort, "GET /healthz HTTP/1.1\r\nHost: 10.0.0.9:9902");
  assertEquals(probe.status, 200);
  assertEquals((await gw.stop()).code, 0);
});

Deno.test("with --admin-token-file the admin API wants the token, and follows its rotation", async () => {
  const dir = await Deno.makeTempDir({ prefix: "serval-admin-token-" });
  const file = `${dir}/token`;
  await Deno.writeTextFile(file, "token-one\n");
  await using gw = await startGateway({
    manifests: await manifests(),
    args: ["--admin-token-file", file],
    waitFor: "telemetry",
  });
  const config = async (token?: string) => {
    const res = await gw.admin(
      "/config",
      token ? { headers: { authorization: `Bearer ${token}` } } : {},
    );
    await res.body?.cancel();
    return res.status;
  };
  assertEquals(await config(), 401);
  assertEquals(await config("token-two"), 401);
  assertEquals(await config("token-one"), 200);
  assertEquals((await (await gw.admin("/healthz")).text()).trim(), "ok");
  const telemetry = await fetch(`${gw.telemetryUrl}/readyz`);
  assertEquals(telemetry.status, 200);
  await telemetry.body?.cancel();

  await Deno.writeTextFile(file, "token-two-rotated\n");
  assertEquals(await config("token-one"), 401);
  assertEquals(await config("token-two-rotated"), 200);
  assertEquals((await gw.stop()).code, 0);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("with --admin-client-ca only clients with a certificate it signed reach the admin API", async () => {
  await using ca = await createTestCa("serval admin CA");
  await using otherCa = await createTestCa("someone else's CA");
  const server = await ca.issue(["127.0.0.1"]);
  const client = await ca.issue(["admin-client"], { clientAuth: true });
  const stranger = await otherCa.issue(["stranger"], { clientAuth: true });
  const files = {
    cert: `${ca.dir}/admin.crt`,
    key: `${ca.dir}/admin.key`,
    clientCa: `${ca.dir}/clients.crt`,
  };
  await Deno.writeTextFile(files.cert, server.certPem);
  await Deno.writeTextFile(files.key, server.keyPem);
  await Deno.writeTextFile(files.clientCa, ca.certPem);
  await using gw = await startGateway({
    manifests: await manifests(),
    args: [
      "--admin-tls-cert",
      files.cert,
      "--admin-tls-key",
      files.key,
      "--admin-client-ca",
      files.clientCa,
    ],
    waitFor: "telemetry",
  });
  const url = `https://127.0.0.1:${gw.adminPort}/config`;
  const get = async (identity?: { certPem: string; keyPem: string }) => {
    using http = Deno.createHttpClient({
      caCerts: [ca.certPem],
      ...(identity ? { cert: identity.certPem, key: identity.keyPem } : {}),
    });
    const res = await fetch(url, { client: http });
    const body = await res.json();
    return { status: res.status, body };
  };
  const ok = await get(client);
  assertEquals(ok.status, 200);
  assert("config" in ok.body || "version" in ok.body, JSON.stringify(ok.body).slice(0, 200));
  await assertRejects(() => get());
  await assertRejects(() => get(stranger));
  // Plain HTTP on the TLS port gets nothing useful either.
  const plain = await fetch(`http://127.0.0.1:${gw.adminPort}/config`).catch(() => undefined);
  assert(plain === undefined || plain.status >= 400);
  await plain?.body?.cancel();
  assertEquals((await gw.stop()).code, 0);
});
