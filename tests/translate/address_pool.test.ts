import { assertEquals, assertThrows } from "@std/assert";
import {
  candidateAddresses,
  canonicalIp,
  compareIps,
  formatIp,
  parseAddressPool,
  parseIp,
  poolContains,
} from "../../src/translate/address_pool.ts";

const text = (family: 4 | 6, value: bigint) => formatIp({ family, value });
import { assignPoolAddresses } from "../../src/translate/address_assignment.ts";
import type { Gateway, GatewayAddress } from "../../src/resources/gateway_types.ts";

Deno.test("a /24 pool leaves out its network and broadcast addresses", () => {
  const pool = parseAddressPool("127.32.0.0/24");
  assertEquals(pool.cidr, "127.32.0.0/24");
  assertEquals(pool.size, 254n);
  assertEquals(text(4, pool.first), "127.32.0.1");
  assertEquals(text(4, pool.last), "127.32.0.254");
  assertEquals(poolContains(pool, "127.32.0.0"), false);
  assertEquals(poolContains(pool, "127.32.0.255"), false);
  assertEquals(poolContains(pool, "127.32.1.1"), false);
  assertEquals(poolContains(pool, "127.32.0.254"), true);
});

Deno.test("a CIDR with host bits set is normalised; /31 and /32 use every address", () => {
  assertEquals(parseAddressPool("10.1.2.3/16").cidr, "10.1.0.0/16");
  assertEquals(parseAddressPool("10.0.0.4/31").size, 2n);
  const one = parseAddressPool("192.0.2.7/32");
  assertEquals([one.size, text(4, one.first)], [1n, "192.0.2.7"]);
});

Deno.test("what is not a CIDR is refused with its value", () => {
  const bad = [
    "127.0.0.1",
    "127.0.0.1/0",
    "127.0.0.1/33",
    "::1/129",
    "1.2.3.256/8",
    "01.2.3.4/8",
    "fd00:::1/64",
  ];
  for (const cidr of bad) {
    assertThrows(() => parseAddressPool(cidr), TypeError, `current value is "${cidr}"`);
  }
  assertEquals(parseIp("255.255.255.255"), { family: 4, value: 0xffffffffn });
  assertEquals(parseIp("1.2.3"), undefined);
});

Deno.test("IPv6 literals are read in every spelling and written as RFC 5952 says", () => {
  const cases: [string, string | undefined][] = [
    ["FD00:0:0:0:0:0:0:0001", "fd00::1"],
    ["fd00::01", "fd00::1"],
    ["::", "::"],
    ["::1", "::1"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"],
    ["::ffff:192.0.2.1", "::ffff:c000:201"],
    ["1:2:3:4:5:6:7:8:9", undefined],
    ["1::2::3", undefined],
    ["fd00::g", undefined],
    ["fd00::1%eth0", undefined],
  ];
  for (const [input, canonical] of cases) assertEquals(canonicalIp(input), canonical, input);
  assertEquals(["fd00::2", "10.0.0.1", "fd00::10", "9.0.0.1"].sort(compareIps), [
    "9.0.0.1",
    "10.0.0.1",
    "fd00::2",
    "fd00::10",
  ]);
});

Deno.test("an IPv6 pool leaves out its subnet-router anycast address and holds only IPv6", () => {
  const pool = parseAddressPool("fd00:32::5/64");
  assertEquals(pool.cidr, "fd00:32::/64");
  assertEquals(pool.size, 2n ** 64n - 1n);
  assertEquals(text(6, pool.first), "fd00:32::1");
  assertEquals(poolContains(pool, "fd00:32::"), false);
  assertEquals(poolContains(pool, "FD00:32:0::ffff"), true);
  assertEquals(poolContains(pool, "127.32.0.1"), false);
  const [first] = candidateAddresses(pool, "ns/a");
  assertEquals(poolContains(pool, first), true);
  assertEquals(parseAddressPool("::1/128").size, 1n);
});

Deno.test("candidates visit every pool address once, from a start fixed by the key", () => {
  const pool = parseAddressPool("10.0.0.0/29");
  const a = [...candidateAddresses(pool, "ns/a")];
  assertEquals(a.length, 6);
  assertEquals(new Set(a).size, 6);
  assertEquals([...candidateAddresses(pool, "ns/a")], a);
});

const POOL = parseAddressPool("127.32.0.0/24");
let age = 0;

function gateway(name: string, spec?: GatewayAddress[], status?: string[]): Gateway {
  age++;
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "Gateway",
    metadata: {
      name,
      namespace: "infra",
      creationTimestamp: `2026-01-01T00:00:${String(age).padStart(2, "0")}Z`,
    },
    spec: {
      gatewayClassName: "serval",
      listeners: [{ name: "http", port: 80, protocol: "HTTP" }],
      ...(spec ? { addresses: spec } : {}),
    },
    ...(status
      ? { status: { addresses: status.map((value) => ({ type: "IPAddress", value })) } }
      : {}),
  };
}

Deno.test("each Gateway gets its own address; the same input gives the same answer", () => {
  const gateways = [gateway("a"), gateway("b"), gateway("c")];
  const first = assignPoolAddresses(gateways, POOL);
  const addresses = [...first.values()].map((a) => a.addresses);
  assertEquals(addresses.every((a) => a.length === 1 && poolContains(POOL, a[0])), true);
  assertEquals(new Set(addresses.flat()).size, 3);
  assertEquals(assignPoolAddresses(gateways, POOL), first);
});

Deno.test("an address a Gateway publishes in its status stays its own", () => {
  const fresh = assignPoolAddresses([gateway("a")], POOL).get("infra/a")!.addresses[0];
  const held = fresh === "127.32.0.9" ? "127.32.0.10" : "127.32.0.9";
  const result = assignPoolAddresses([gateway("a", undefined, [held])], POOL);
  assertEquals(result.get("infra/a")!.addresses, [held]);
});

Deno.test("a held address outside the pool is dropped for a fresh choice", () => {
  const result = assignPoolAddresses([gateway("a", undefined, ["10.9.9.9"])], POOL);
  assertEquals(poolContains(POOL, result.get("infra/a")!.addresses[0]), true);
});

Deno.test("requested IPv6 addresses are compared in canonical form", () => {
  const v6 = parseAddressPool("fd00:32::/64");
  const result = assignPoolAddresses([
    gateway("older", [{ type: "IPAddress", value: "fd00:32::0a" }]),
    gateway("newer", [{ type: "IPAddress", value: "FD00:32:0:0::A" }]),
  ], v6);
  assertEquals(result.get("infra/older")!.addresses, ["fd00:32::a"]);
  assertEquals(result.get("infra/newer")!.unusable, [
    "IPAddress fd00:32::a is already used by Gateway infra/older",
  ]);
});

Deno.test("a newer Gateway never takes the address an older one holds", () => {
  const older = gateway("older", undefined, ["127.32.0.20"]);
  const newer = gateway("newer", [{ type: "IPAddress", value: "127.32.0.20" }]);
  const result = assignPoolAddresses([older, newer], POOL);
  assertEquals(result.get("infra/older")!.addresses, ["127.32.0.20"]);
  assertEquals(result.get("infra/newer")!.addresses, []);
  assertEquals(result.get("infra/newer")!.unusable, [
    "IPAddress 127.32.0.20 is already used by Gateway infra/older",
  ]);
});

Deno.test("requested addresses: in the pool honoured, outside unusable, other types unsupported", () => {
  const result = assignPoolAddresses([
    gateway("static", [{ type: "IPAddress", value: "127.32.0.40" }, { value: "127.32.0.41" }]),
    gateway("outside", [{ type: "IPAddress", value: "10.0.0.1" }]),
    gateway("named", [{ type: "Hostname", value: "gw.example.com" }]),
    gateway("any", [{ type: "IPAddress", value: "" }]),
  ], POOL);
  assertEquals(result.get("infra/static")!.addresses, ["127.32.0.40", "127.32.0.41"]);
  assertEquals(result.get("infra/outside")!.unusable, [
    "IPAddress 10.0.0.1 is outside the address pool 127.32.0.0/24",
  ]);
  assertEquals(result.get("infra/outside")!.addresses, []);
  assertEquals(result.get("infra/named")!.unsupported, ["Hostname"]);
  assertEquals(result.get("infra/any")!.addresses.length, 1);
});

Deno.test("a full pool leaves the last Gateway unassigned", () => {
  const tiny = parseAddressPool("127.32.0.8/31");
  const result = assignPoolAddresses([gateway("a"), gateway("b"), gateway("c")], tiny);
  assertEquals(result.get("infra/c")!.unassigned, [
    "any IPAddress: the pool 127.32.0.8/31 has no free address",
  ]);
  assertEquals(new Set([...result.values()].flatMap((a) => a.addresses)).size, 2);
});
