/**
 * The short-lived commands of the real binary: `translate` exit codes and
 * output, `version`, `--help`, and usage errors (exit 2).
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { createTestCa } from "../_helpers/certs.ts";
import { runGatewayCommand } from "../_helpers/gateway_process.ts";
import { gatewayYaml, prefixRule, routeYaml, serviceYaml, writeManifests } from "./_manifests.ts";
import { classAndGatewayYaml, httpsListener } from "../../scripts/manifests.ts";

const EXAMPLES = new URL("../../examples", import.meta.url).pathname;

Deno.test("translate on the examples prints config and statuses and exits 0", async () => {
  const { code, stdout, stderr } = await runGatewayCommand(["translate", EXAMPLES]);
  assertEquals(code, 0, stderr);
  const report = JSON.parse(stdout);
  assertEquals(Object.keys(report), ["config", "certificates", "statuses", "problems"]);
  assertEquals(report.problems, []);
  assertEquals(report.config.ports.map((p: { port: number }) => p.port), [8080]);
  assert(report.config.rules["httproute/default/api/rule/0"], "the users rule is compiled");
  const gateway = report.statuses.find((s: { kind: string }) => s.kind === "Gateway");
  assertEquals(gateway.name, "basic");
});

Deno.test("translate --gateway-address-pool shows each Gateway's pool address in ports and status", async () => {
  const { code, stdout, stderr } = await runGatewayCommand([
    "translate",
    "--gateway-address-pool",
    "127.32.0.0/24",
    EXAMPLES,
  ]);
  assertEquals(code, 0, stderr);
  const report = JSON.parse(stdout);
  const gateway = report.statuses.find((s: { kind: string }) => s.kind === "Gateway");
  const [published] = gateway.status.addresses;
  assertEquals(published.type, "IPAddress");
  assert(published.value.startsWith("127.32.0."), published.value);
  assertEquals(
    report.config.ports.map((p: { address: string; port: number }) => [p.address, p.port]),
    [
      [published.value, 8080],
    ],
  );
  const gatewayClass = report.statuses.find((s: { kind: string }) => s.kind === "GatewayClass");
  assert(gatewayClass.status.supportedFeatures.length > 0);
});

Deno.test("translate exits 1 on a parse error and on an unresolvable backend, listing both", async () => {
  const dir = await Deno.makeTempDir({ prefix: "serval-e2e-translate-" });
  try {
    await writeManifests(dir, {
      "gateway.yaml": gatewayYaml(8080),
      "service.yaml": serviceYaml("a", 3001),
      "route.yaml": routeYaml("r", ["x.example.com"], prefixRule("/", "missing")),
      "broken.yaml": "kind: HTTPRoute\nmetadata: [oops\n",
    });
    const { code, stdout, stderr } = await runGatewayCommand(["translate", dir]);
    assertEquals(code, 1, stderr);
    const report = JSON.parse(stdout);
    const objects = report.problems.map((p: { object: string }) => p.object);
    assert(objects.some((o: string) => o.endsWith("broken.yaml")), JSON.stringify(objects));
    assert(objects.includes("httproute/default/r"), JSON.stringify(objects));
    assertStringIncludes(stderr, "problem(s) found");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const HAS_OPENSSL = await new Deno.Command("openssl", { args: ["version"], stdout: "null" })
  .output().then((o) => o.success, () => false);

Deno.test({
  name: "translate prints an HTTPS listener's certificate without its private key",
  ignore: !HAS_OPENSSL, // the certificate is made with openssl
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "serval-e2e-translate-" });
    await using ca = await createTestCa();
    try {
      const leaf = await ca.issue(["secure.example.com"]);
      await writeManifests(dir, {
        "secret.yaml": `apiVersion: v1
kind: Secret
metadata: { name: tls, namespace: default }
type: kubernetes.io/tls
stringData:
  tls.crt: ${JSON.stringify(leaf.certPem)}
  tls.key: ${JSON.stringify(leaf.keyPem)}
`,
        "gateway.yaml": classAndGatewayYaml("e2e", [
          httpsListener("https", 8443, "tls", "secure.example.com"),
        ]),
      });
      const { code, stdout, stderr } = await runGatewayCommand(["translate", dir]);
      assertEquals(code, 0, stderr + stdout);
      const report = JSON.parse(stdout);
      assertEquals(report.certificates.length, 1);
      assertEquals(report.certificates[0].id, "secret/default/tls");
      assertEquals(report.certificates[0].dnsNames, ["secure.example.com"]);
      assert(!stdout.includes("PRIVATE KEY"), "a private key was printed");
      assert(!stdout.includes(leaf.keyPem.split("\n")[1]), "key material was printed");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("translate without paths, an unreadable path and a bad flag exit 2", async () => {
  const none = await runGatewayCommand(["translate"]);
  assertEquals(none.code, 2);
  assertStringIncludes(
    none.stderr,
    "Cannot translate: give at least one manifest file or directory",
  );
  const missing = await runGatewayCommand(["translate", "/nonexistent/serval"]);
  assertEquals(missing.code, 2);
  assertStringIncludes(missing.stderr, "Cannot read /nonexistent/serval");
  const bad = await runGatewayCommand(["run", "--admin-addr", "x"]);
  assertEquals(bad.code, 2);
  assertStringIncludes(bad.stderr, 'Cannot parse --admin-addr: current value is "x"');
  const env = await runGatewayCommand(["run"], { SERVAL_DRAIN_DELAY: "soon" });
  assertEquals(env.code, 2);
  assertStringIncludes(env.stderr, 'Cannot parse SERVAL_DRAIN_DELAY: current value is "soon"');
});

Deno.test("version and --help exit 0", async () => {
  const version = await runGatewayCommand(["version"]);
  assertEquals(version.code, 0);
  assertStringIncludes(version.stdout, "serval-k8s-gateway 0.1.0");
  const help = await runGatewayCommand(["-h"]);
  assertEquals(help.code, 0);
  assertStringIncludes(help.stdout, "--shutdown-timeout DURATION");
});

Deno.test("run exits 1 with a clear log line when the admin port is taken", async () => {
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const port = (taken.addr as Deno.NetAddr).port;
    const res = await runGatewayCommand([
      "run",
      "--manifests",
      EXAMPLES,
      "--admin-addr",
      `127.0.0.1:${port}`,
      "--telemetry-addr",
      "off",
    ]);
    assertEquals(res.code, 1);
    assertStringIncludes(res.stderr, "cannot run the gateway");
  } finally {
    taken.close();
  }
});
