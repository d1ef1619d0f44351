/**
 * WebSocket and TLS through the real process: `kubernetes.io/wss` backends
 * (the upgrade request goes over TLS, verified as the BackendTLSPolicy says)
 * and `wss://` clients on HTTPS listeners. Every wait is for an event (a
 * message, a close, a log line), never for time.
 */
import { assert, assertEquals } from "@std/assert";
import { createTestCa, type TestCa } from "../_helpers/certs.ts";
import { freePort, startGateway } from "../_helpers/gateway_process.ts";
import { startWebSocketEcho, TestSocket } from "../_helpers/upgrade_backends.ts";
import { serviceYaml, tlsSecretYaml, writeManifests } from "./_manifests.ts";

/** A Service like `serviceYaml`, its port marked with `appProtocol`. */
function appServiceYaml(name: string, port: number, appProtocol: string): string {
  return serviceYaml(name, port).replace(
    "      protocol: TCP\n---",
    `      protocol: TCP\n      appProtocol: ${appProtocol}\n---`,
  );
}

function gatewayYaml(httpPort: number, httpsPort: number): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: { name: serval }
spec: { controllerName: gateway.serval.dev/controller }
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: e2e, namespace: default }
spec:
  gatewayClassName: serval
  listeners:
    - { name: http, protocol: HTTP, port: ${httpPort} }
    - name: https
      protocol: HTTPS
      port: ${httpsPort}
      hostname: app.example.com
      tls: { certificateRefs: [{ name: app-cert }] }
`;
}

const ROUTES = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: chat, namespace: default }
spec:
  parentRefs: [{ name: e2e }]
  rules:
    - matches: [{ path: { type: PathPrefix, value: /wss } }]
      filters:
        - type: RequestHeaderModifier
          requestHeaderModifier: { set: [{ name: x-route, value: wss }] }
      backendRefs: [{ name: secure, port: 80 }]
    - matches: [{ path: { type: PathPrefix, value: /ws } }]
      filters:
        - type: RequestHeaderModifier
          requestHeaderModifier: { set: [{ name: x-route, value: ws }] }
      backendRefs: [{ name: plain, port: 80 }]
`;

function policyYaml(ca: string): string {
  return `apiVersion: v1
kind: ConfigMap
metadata: { name: backend-ca, namespace: default }
data:
  ca.crt: ${JSON.stringify(ca)}
---
apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata: { name: secure, namespace: default }
spec:
  targetRefs: [{ group: "", kind: Service, name: secure }]
  validation:
    hostname: chat.backend.example.com
    caCertificateRefs: [{ group: "", kind: ConfigMap, name: backend-ca }]
`;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

async function readUntilClosed(conn: Deno.Conn): Promise<string> {
  let text = "";
  const buf = new Uint8Array(4096);
  for (;;) {
    const n = await conn.read(buf).catch(() => null);
    if (n === null) return text;
    text += decoder.decode(buf.subarray(0, n));
  }
}

/** The gateway, a wss backend (its certificate from `backendCa`) and a ws one. */
async function setup(ca: TestCa, extra: string[] = [], backendCa = ca) {
  const backendLeaf = await backendCa.issue(["chat.backend.example.com"]);
  const appLeaf = await ca.issue(["app.example.com"]);
  const secure = startWebSocketEcho({ cert: backendLeaf.certPem, key: backendLeaf.keyPem });
  const plain = startWebSocketEcho();
  const dir = await Deno.makeTempDir({ prefix: "serval-e2e-upgrades-tls-" });
  const [httpPort, httpsPort] = [freePort(), freePort()];
  await writeManifests(dir, {
    "all.yaml": [
      gatewayYaml(httpPort, httpsPort),
      tlsSecretYaml("app-cert", appLeaf.certPem, appLeaf.keyPem),
      appServiceYaml("secure", secure.port, "kubernetes.io/wss"),
      appServiceYaml("plain", plain.port, "kubernetes.io/ws"),
      policyYaml(ca.certPem),
      ROUTES,
    ].join("---\n"),
  });
  const gw = await startGateway({ manifests: dir, args: extra });
  return {
    gw,
    httpPort,
    httpsPort,
    secure,
    plain,
    async [Symbol.asyncDispose]() {
      await gw.stop();
      await secure.close();
      await plain.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test("a kubernetes.io/wss backend: the upgrade goes over TLS verified by its BackendTLSPolicy, echo both ways", async () => {
  await using ca = await createTestCa("wss CA");
  await using t = await setup(ca);
  const socket = new TestSocket(`ws://127.0.0.1:${t.httpPort}/wss/chat`, ["chat.v1"]);
  await socket.opened;
  assertEquals(socket.ws.protocol, "chat.v1");
  assertEquals(await socket.echo("over TLS"), "over TLS");
  const binary = await socket.echo(new Uint8Array([9, 8, 7]));
  assertEquals([...new Uint8Array(binary as ArrayBuffer)], [9, 8, 7]);
  const seen = JSON.parse(await socket.echo("headers") as string);
  assertEquals(seen["x-route"], "wss");
  assertEquals(t.secure.requests.length, 1);
  socket.ws.close(4002, "done");
  assertEquals((await socket.closed).code, 4002);
});

Deno.test("a kubernetes.io/wss backend whose certificate the policy's CA did not issue: the upgrade fails with 502", async () => {
  await using ca = await createTestCa("wss CA");
  await using other = await createTestCa("untrusted CA");
  await using t = await setup(ca, [], other);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: t.httpPort });
  await conn.write(encoder.encode(
    "GET /wss HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" +
      "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
  ));
  const answer = await readUntilClosed(conn);
  assert(answer.startsWith("HTTP/1.1 502 "), answer);
  assertEquals(t.secure.requests.length, 0);
  conn.close();
});
