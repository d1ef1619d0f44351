/**
 * `--gateway-address-pool` with HTTPS and `--workers 2` through the real
 * process: two Gateways with the same HTTP and HTTPS ports and no hostname
 * each bind their own pool address (the HTTPS ClientHello front door
 * included, in every worker), verified handshakes reach each Gateway's own
 * route, and nothing listens on the shared host.
 */
import { assert, assertEquals } from "@std/assert";
import { type EchoRecord, startEchoBackend } from "../_helpers/echo_backend.ts";
import { createTestCa } from "../_helpers/certs.ts";
import { freePorts, startGateway } from "../_helpers/gateway_process.ts";
import { gatewayClassYaml, serviceYaml, tlsSecretYaml, writeManifests } from "./_manifests.ts";

const HOST = "app.example.com";
const ADDRESSES = { one: "127.35.0.11", two: "127.35.0.12" } as const;

function gatewayYaml(name: keyof typeof ADDRESSES, httpPort: number, httpsPort: number): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: ${name}
  namespace: default
spec:
  gatewayClassName: serval
  addresses: [{ type: IPAddress, value: ${ADDRESSES[name]} }]
  listeners:
    - { name: http, protocol: HTTP, port: ${httpPort} }
    - name: https
      protocol: HTTPS
      port: ${httpsPort}
      tls:
        certificateRefs: [{ name: app-cert }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: to-${name}
  namespace: default
spec:
  parentRefs: [{ name: ${name} }]
  rules:
    - backendRefs: [{ name: svc-${name}, port: 80 }]
`;
}

/** One verified HTTPS request to `address` with SNI and Host `HOST`; the echo backend's name. */
async function httpsBackend(address: string, port: number, caFile: string): Promise<string> {
  const output = await new Deno.Command("curl", {
    args: [
      "-sS",
      "--no-sessionid",
      "--cacert",
      caFile,
      "--resolve",
      `${HOST}:${port}:${address}`,
      `https://${HOST}:${port}/`,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  assert(output.success, `curl to ${address} failed: ${text.decode(output.stderr)}`);
  return (JSON.parse(text.decode(output.stdout)) as EchoRecord).name;
}

Deno.test("two Gateways on the same HTTP and HTTPS ports are apart on their pool addresses, with two workers", async () => {
  await using ca = await createTestCa();
  const cert = await ca.issue([HOST]);
  const caFile = `${ca.dir}/ca.crt`;
  await using one = startEchoBackend({ name: "one" });
  await using two = startEchoBackend({ name: "two" });
  const dir = await Deno.makeTempDir({ prefix: "serval-pool-https-" });
  const [httpPort, httpsPort] = freePorts(2);
  await writeManifests(dir, {
    "class.yaml": gatewayClassYaml(),
    "one.yaml": gatewayYaml("one", httpPort, httpsPort),
    "two.yaml": gatewayYaml("two", httpPort, httpsPort),
    "services.yaml": serviceYaml("svc-one", one.port) + "---\n" + serviceYaml("svc-two", two.port),
    "secret.yaml": tlsSecretYaml("app-cert", cert.certPem, cert.keyPem),
  });
  try {
    await using gw = await startGateway({
      manifests: dir,
      args: ["--workers", "2", "--gateway-address-pool", "127.35.0.0/24"],
    });
    const config = await (await gw.admin("/config")).json();
    const bound = (config.listeners as { address?: string; port: number; bound: boolean }[])
      .map((l) => `${l.address}:${l.port}:${l.bound}`).sort();
    assertEquals(
      bound,
      [
        `${ADDRESSES.one}:${httpPort}:true`,
        `${ADDRESSES.one}:${httpsPort}:true`,
        `${ADDRESSES.two}:${httpPort}:true`,
        `${ADDRESSES.two}:${httpsPort}:true`,
      ].sort(),
    );
    // Fresh verified handshakes, whichever worker the kernel hands each one to.
    for (let i = 0; i < 4; i++) {
      assertEquals(await httpsBackend(ADDRESSES.one, httpsPort, caFile), "one");
      assertEquals(await httpsBackend(ADDRESSES.two, httpsPort, caFile), "two");
    }
    for (const [name, address] of Object.entries(ADDRESSES)) {
      const res = await fetch(`http://${address}:${httpPort}/`);
      assertEquals((await res.json() as EchoRecord).name, name);
    }
    const refused = await fetch(`http://127.0.0.1:${httpPort}/`).then(() => false, () => true);
    assert(refused, "nothing listens on the shared host");
    assertEquals((await gw.stop()).code, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
