/**
 * The manifests users apply, kept honest without a cluster: everything in
 * `deploy/` and `examples/` parses with the gateway's own parser, the
 * kustomization names exactly the files there are, the objects refer to each
 * other correctly, and the examples translate with no problems.
 */
import { assert, assertEquals } from "@std/assert";
import { type CliIo, runCli } from "../../src/cli/cli.ts";
import { runTranslateCommand } from "../../src/cli/translate_command.ts";
import { DEFAULT_CONTROLLER_NAME } from "../../src/runtime/gateway_options.ts";
import { DEPLOY_DIR, deployObject, deployObjects, parseFile, ROOT, yamlFiles } from "./_deploy.ts";

const EXAMPLES_DIR = `${ROOT}examples`;
const NAMESPACE = deployObject("Namespace").metadata.name as string;

for (const [dir, label] of [[DEPLOY_DIR, "deploy"], [EXAMPLES_DIR, "examples"]]) {
  for (const file of yamlFiles(dir)) {
    Deno.test(`${label}/${file} parses into Kubernetes objects`, () => {
      const objects = parseFile(dir, file);
      assert(objects.length > 0, "no documents");
      for (const o of objects) {
        assert(typeof o.apiVersion === "string" && typeof o.kind === "string", JSON.stringify(o));
        if (o.kind !== "Kustomization") assert(o.metadata?.name, `${o.kind} without a name`);
      }
    });
  }
}

Deno.test("the kustomization lists exactly the manifest files in deploy/", () => {
  const [kustomization] = parseFile(DEPLOY_DIR, "kustomization.yaml");
  assertEquals(kustomization.kind, "Kustomization");
  const listed = [...kustomization.resources].sort();
  assertEquals(listed, yamlFiles(DEPLOY_DIR).filter((f) => f !== "kustomization.yaml"));
  assertEquals(new Set(listed).size, listed.length, "a file is listed twice");
});

Deno.test("every namespaced object in deploy/ lives in the gateway's namespace", () => {
  const clusterScoped = new Set(["Namespace", "ClusterRole", "ClusterRoleBinding", "GatewayClass"]);
  for (const { file, object } of deployObjects()) {
    const ns = object.metadata.namespace;
    if (clusterScoped.has(object.kind)) assertEquals(ns, undefined, `${file}: ${object.kind}`);
    else assertEquals(ns, NAMESPACE, `${file}: ${object.kind}`);
  }
});

Deno.test("the Deployment runs under the ServiceAccount the RBAC bindings name", () => {
  const account = deployObject("ServiceAccount").metadata.name;
  assertEquals(deployObject("Deployment").spec.template.spec.serviceAccountName, account);
  for (const kind of ["ClusterRoleBinding", "RoleBinding"]) {
    assertEquals(deployObject(kind).subjects, [
      { kind: "ServiceAccount", name: account, namespace: NAMESPACE },
    ]);
  }
});

Deno.test("the Service and the PodDisruptionBudget select the Deployment's pods", () => {
  const deployment = deployObject("Deployment");
  const podLabels = deployment.spec.template.metadata.labels;
  assertEquals(deployment.spec.selector.matchLabels, podLabels);
  assertEquals(deployObject("PodDisruptionBudget").spec.selector.matchLabels, podLabels);
  assertEquals(deployObject("Service").spec.selector, podLabels);
});

Deno.test("the LoadBalancer Service targets ports the gateway container declares", () => {
  const service = deployObject("Service");
  assertEquals(service.spec.type, "LoadBalancer");
  const declared = new Set(
    (deployObject("Deployment").spec.template.spec.containers[0].ports as {
      containerPort: number;
    }[])
      .map((p) => p.containerPort),
  );
  for (const port of service.spec.ports) {
    assert(declared.has(port.targetPort), `${port.targetPort}`);
  }
});

Deno.test("the GatewayClass in deploy/ names the default controller", () => {
  assertEquals(deployObject("GatewayClass").spec.controllerName, DEFAULT_CONTROLLER_NAME);
});

Deno.test("examples/ pass `serval-k8s-gateway translate` with no problems", async () => {
  let stdout = "";
  let stderr = "";
  const io: CliIo = { stdout: (t) => stdout += t, stderr: (t) => stderr += t };
  const code = await runCli(["translate", EXAMPLES_DIR], {}, {
    run: () => Promise.reject(new Error("Cannot run: only translate is expected")),
    translate: runTranslateCommand,
  }, io);
  const report = JSON.parse(stdout);
  assertEquals(report.problems, [], stderr);
  assertEquals(code, 0, stderr);
  // Every Gateway and route is accepted, not merely free of problems.
  const kinds = new Set(report.statuses.map((s: { kind: string }) => s.kind));
  for (const kind of ["GatewayClass", "Gateway", "HTTPRoute"]) assert(kinds.has(kind), kind);
});

Deno.test("the README's install steps pin the CRD release and apply files that exist", async () => {
  const readme = await Deno.readTextFile(`${ROOT}README.md`);
  const section = readme.slice(readme.indexOf("## Install on a cluster"));
  assert(section.startsWith("## Install on a cluster"), "no install section");
  assert(
    /gateway-api\/releases\/download\/v\d+\.\d+\.\d+\/standard-install\.yaml/.test(section),
    "the Gateway API CRDs are not a pinned standard-channel release",
  );
  assert(section.includes("kubectl apply -k deploy/"));
  for (const [, file] of section.matchAll(/-f (examples\/[\w.-]+\.yaml)/g)) {
    assert(yamlFiles(EXAMPLES_DIR).includes(file.slice("examples/".length)), file);
  }
});
