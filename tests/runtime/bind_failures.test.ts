import { assertEquals, assertStrictEquals } from "@std/assert";
import { statusesWithBindFailures } from "../../src/runtime/bind_failures.ts";
import type { ObjectStatus, PortConfig } from "../../src/model/config.ts";
import { ruleMapOf } from "../../src/model/rule_map.ts";
import { httpPort } from "../../scripts/config_fixtures.ts";

const condition = (type: string, status: "True" | "False", reason: string) => ({
  type,
  status,
  reason,
  message: "",
  observedGeneration: 1,
});

function gatewayStatus(name: string): ObjectStatus {
  return {
    kind: "Gateway",
    namespace: "infra",
    name,
    generation: 1,
    status: {
      addresses: [],
      conditions: [
        condition("Accepted", "True", "Accepted"),
        condition("Programmed", "True", "Programmed"),
      ],
    },
  };
}

function port(name: string, address: string | undefined, number: number): PortConfig {
  return httpPort(number, [], `gateway/infra/${name}/listener/http`, address);
}

Deno.test("a pool address that cannot be bound makes its Gateway Programmed=False/AddressNotUsable", () => {
  const result = {
    config: {
      ports: [port("a", "10.99.0.1", 80), port("b", "127.32.0.2", 80)],
      rules: ruleMapOf(),
    },
    statuses: [gatewayStatus("a"), gatewayStatus("b")],
  };
  const statuses = statusesWithBindFailures(result, [
    {
      address: "10.99.0.1",
      port: 80,
      protocol: "HTTP",
      bound: false,
      error: "Cannot bind HTTP listener on 10.99.0.1:80: Cannot assign requested address",
    },
    { address: "127.32.0.2", port: 80, protocol: "HTTP", bound: true },
  ]);
  const programmed = (s: ObjectStatus) => s.status.conditions?.find((c) => c.type === "Programmed");
  assertEquals(programmed(statuses[0]), {
    type: "Programmed",
    status: "False",
    reason: "AddressNotUsable",
    message: "Gateway address cannot be bound on this host: " +
      "Cannot bind HTTP listener on 10.99.0.1:80: Cannot assign requested address",
    observedGeneration: 1,
  });
  assertEquals(statuses[0].status.conditions?.[0], condition("Accepted", "True", "Accepted"));
  assertStrictEquals(statuses[1], result.statuses[1]);
});

Deno.test("a port on the shared listen host that cannot be bound changes no status", () => {
  const result = {
    config: { ports: [port("a", undefined, 80)], rules: ruleMapOf() },
    statuses: [gatewayStatus("a")],
  };
  const statuses = statusesWithBindFailures(result, [
    { port: 80, protocol: "HTTP", bound: false, error: "Address in use" },
  ]);
  assertStrictEquals(statuses, result.statuses);
});
