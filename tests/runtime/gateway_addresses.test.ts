import { assertEquals } from "@std/assert";
import type { Service } from "../../src/resources/core_types.ts";
import { gatewayAddressesFor, toGatewayAddresses } from "../../src/runtime/gateway_addresses.ts";
import { resolveSourceKind } from "../../src/runtime/source_kind.ts";
import { createStore } from "../../src/source/store.ts";

function service(status: Service["status"], clusterIP = "10.96.0.10"): Service {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "gw", namespace: "serval" },
    spec: { clusterIP, ports: [{ port: 80 }] },
    status,
  };
}

Deno.test("IPv4 and IPv6 literals are IPAddress, anything else Hostname", () => {
  assertEquals(toGatewayAddresses(["192.0.2.1", "2001:db8::1", "gw.example.com"]), [
    { type: "IPAddress", value: "192.0.2.1" },
    { type: "IPAddress", value: "2001:db8::1" },
    { type: "Hostname", value: "gw.example.com" },
  ]);
});

Deno.test("--gateway-service publishes the load balancer's ingress after the flags", () => {
  const store = createStore();
  store.upsert(
    service({ loadBalancer: { ingress: [{ ip: "203.0.113.7" }, { hostname: "lb.example.net" }] } }),
  );
  const options = {
    gatewayAddresses: ["192.0.2.1", "203.0.113.7"],
    gatewayService: { namespace: "serval", name: "gw" },
  };
  assertEquals(gatewayAddressesFor(options, store), [
    { type: "IPAddress", value: "192.0.2.1" },
    { type: "IPAddress", value: "203.0.113.7" },
    { type: "Hostname", value: "lb.example.net" },
  ]);
  store.close();
});

Deno.test("--gateway-service without a load balancer publishes the cluster IP; a missing Service nothing", () => {
  const store = createStore();
  const options = { gatewayAddresses: [], gatewayService: { namespace: "serval", name: "gw" } };
  assertEquals(gatewayAddressesFor(options, store), []);
  store.upsert(service(undefined));
  assertEquals(gatewayAddressesFor(options, store), [{ type: "IPAddress", value: "10.96.0.10" }]);
  store.upsert(service(undefined, "None"));
  assertEquals(gatewayAddressesFor(options, store), []);
  store.close();
});

Deno.test("--source auto: in-cluster first, then --manifests, then kubeconfig", () => {
  const pod = { KUBERNETES_SERVICE_HOST: "10.96.0.1" };
  assertEquals(resolveSourceKind({ source: "auto", manifests: "m" }, pod).mode, "in-cluster");
  assertEquals(resolveSourceKind({ source: "auto", manifests: "m" }, {}).kind, "files");
  assertEquals(resolveSourceKind({ source: "auto" }, {}).mode, "kubeconfig");
  assertEquals(resolveSourceKind({ source: "files", manifests: "m" }, pod).kind, "files");
  assertEquals(resolveSourceKind({ source: "kube" }, {}).mode, "kubeconfig");
});
