/**
 * The Deployment against the code it runs: its args parse with the real CLI
 * parser, its probes hit routes the telemetry app serves on the port the
 * flags give it, its environment is what the binary may read, its pod is
 * locked down, and its grace period outlasts the drain the args configure.
 */
import { assert, assertEquals, assertGreater } from "@std/assert";
import { parseCommandLine } from "../../src/cli/flags.ts";
import { gatewayOptionsFromFlags } from "../../src/cli/gateway_options_from_flags.ts";
import { createMetrics } from "../../src/admin/metrics.ts";
import { createTelemetryApp } from "../../src/admin/telemetry_app.ts";
import { allowedEnvNames } from "../../scripts/compile_permissions.ts";
import { deployObject, gatewayContainer, type Obj, ROOT } from "./_deploy.ts";

const deployment = deployObject("Deployment");
const pod = deployment.spec.template.spec;
const container = gatewayContainer();
/** What a pod's environment holds: the Deployment's variables and the ones kubelet adds. */
const podEnv: Record<string, string> = {
  KUBERNETES_SERVICE_HOST: "10.96.0.1",
  KUBERNETES_SERVICE_PORT: "443",
  HOSTNAME: "serval-k8s-gateway-abc",
  ...Object.fromEntries((container.env ?? []).map((e: Obj) => [e.name, e.value ?? "from-field"])),
};
const parsed = parseCommandLine(container.args, podEnv);
const options = gatewayOptionsFromFlags(parsed, podEnv);

Deno.test("the container args parse with the gateway's own command-line parser", () => {
  assertEquals(parsed.command, "run");
  assertEquals(parsed.positionals, []);
  assertEquals(options.source, "kube");
  assertEquals(options.leaderElect, true);
});

Deno.test("the container sets only environment variables the binary may read", () => {
  const allowed = new Set(allowedEnvNames());
  for (const { name } of container.env ?? []) assert(allowed.has(name), name);
});

Deno.test("the image tag is the version in deno.json", async () => {
  const denoJson = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
  assertEquals(container.image.split(":").at(-1), denoJson.version);
});

function containerPort(nameOrNumber: string | number): number {
  if (typeof nameOrNumber === "number") return nameOrNumber;
  const port = (container.ports as Obj[]).find((p) => p.name === nameOrNumber);
  assert(port, `no container port named ${nameOrNumber}`);
  return port.containerPort;
}

Deno.test("probes and the scrape annotation use the telemetry port the args give", () => {
  const telemetry = options.telemetryAddr;
  assert(telemetry, "telemetry is off");
  assertEquals(telemetry.hostname, "0.0.0.0", "kubelet probes the pod IP, not loopback");
  for (const probe of ["readinessProbe", "livenessProbe", "startupProbe"]) {
    assertEquals(containerPort(container[probe].httpGet.port), telemetry.port, probe);
  }
  const annotations = deployment.spec.template.metadata.annotations;
  assertEquals(Number(annotations["prometheus.io/port"]), telemetry.port);
});

Deno.test("probe paths are the telemetry app's: liveness while running, readiness follows the state", async () => {
  let readiness = { ready: false, reasons: ["syncing"] };
  const app = createTelemetryApp({
    state: { readiness: () => readiness },
    metrics: createMetrics(),
  });
  const status = async (path: string) => {
    const res = await app.request(path);
    await res.body?.cancel();
    return res.status;
  };
  const live = [container.livenessProbe.httpGet.path, container.startupProbe.httpGet.path];
  const ready = container.readinessProbe.httpGet.path;
  for (const path of live) assertEquals(await status(path), 200, path);
  assertEquals(await status(ready), 503, "ready before the first sync");
  readiness = { ready: true, reasons: [] };
  assertEquals(await status(ready), 200);
  for (const path of live) assertEquals(await status(path), 200, path);
  assertEquals(
    await status(deployment.spec.template.metadata.annotations["prometheus.io/path"]),
    200,
  );
});

Deno.test("the pod runs non-root, read-only, without capabilities, under RuntimeDefault seccomp", () => {
  const podSecurity = pod.securityContext;
  const security = container.securityContext;
  assertEquals(podSecurity.runAsNonRoot, true);
  assert(podSecurity.runAsUser > 0, "runAsUser is root");
  assertEquals(podSecurity.seccompProfile, { type: "RuntimeDefault" });
  assertEquals(security.readOnlyRootFilesystem, true);
  assertEquals(security.allowPrivilegeEscalation, false);
  assertEquals(security.capabilities, { drop: ["ALL"] });
  assertEquals(security.capabilities.add, undefined);
  assertEquals(security.privileged ?? false, false);
});

Deno.test("the unprivileged-port sysctl lets the non-root process bind 80 and 443", () => {
  assertEquals(pod.securityContext.sysctls, [
    { name: "net.ipv4.ip_unprivileged_port_start", value: "0" },
  ]);
  const ports = (container.ports as Obj[]).map((p) => p.containerPort);
  assert(ports.includes(80) && ports.includes(443));
});

Deno.test("terminationGracePeriodSeconds exceeds preStop sleep + drain delay + shutdown timeout", () => {
  const preStop = container.lifecycle.preStop;
  assertEquals(Object.keys(preStop), ["sleep"], "preStop must not need a shell (distroless)");
  const totalMs = preStop.sleep.seconds * 1000 + options.drainDelayMs + options.shutdownTimeoutMs;
  assertGreater(pod.terminationGracePeriodSeconds * 1000, totalMs);
});

Deno.test("two replicas roll one at a time with resource requests and a memory limit", () => {
  assertEquals(deployment.spec.replicas, 2);
  assertEquals(deployment.spec.strategy.rollingUpdate.maxUnavailable, 0);
  assert(container.resources.requests.cpu && container.resources.requests.memory);
  assert(container.resources.limits.memory);
  assertEquals(deployObject("PodDisruptionBudget").spec.minAvailable, 1);
});

Deno.test("a writable /tmp is mounted because the root filesystem is read-only", () => {
  const mount = (container.volumeMounts as Obj[]).find((m) => m.mountPath === "/tmp");
  assert(mount, "no /tmp mount");
  const volume = (pod.volumes as Obj[]).find((v) => v.name === mount.name);
  assert(volume?.emptyDir, "/tmp is not an emptyDir");
});
