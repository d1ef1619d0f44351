/**
 * The feature table in `src/translate/features.ts` is what the GatewayClass
 * status claims and what the README shows: these tests keep the three in
 * agreement.
 */
import { assert, assertEquals } from "@std/assert";
import { FEATURES, supportedFeatures } from "../../src/translate/features.ts";
import { translate } from "../../src/translate/translate.ts";
import { EMPTY_SNAPSHOT } from "../../src/model/snapshot.ts";
import type { GatewayClass } from "../../src/resources/gateway_types.ts";

const README = await Deno.readTextFile(new URL("../../README.md", import.meta.url));
const STATE_TEXT = {
  claimed: "claimed",
  implemented: "implemented, waiting for the upstream test",
} as const;

/** The rows of the README's feature table: [name, support, state, proof]. */
function readmeRows(): string[][] {
  const section = README.split("## Gateway API features")[1]?.split("\n## ")[0] ?? "";
  return section.split("\n")
    .filter((line) => line.startsWith("| `"))
    .map((line) =>
      line.slice(1, -1).split(/(?<!\\)\|/).map((cell) => cell.trim().replaceAll("\\|", "|"))
    );
}

Deno.test("the README feature table is the code's feature table, row for row", () => {
  const expected = FEATURES.map((f) => [`\`${f.name}\``, f.support, STATE_TEXT[f.state], f.proof]);
  assertEquals(readmeRows(), expected);
});

Deno.test("supportedFeatures lists only claimed features, sorted by name, as {name} objects", () => {
  const names = supportedFeatures().map((f) => f.name);
  assertEquals(names, [...names].sort());
  assertEquals(
    new Set(names),
    new Set(
      FEATURES.filter((f) => f.state === "claimed" && !f.needsPool)
        .map((f) => f.name),
    ),
  );
  for (const core of ["Gateway", "HTTPRoute", "ReferenceGrant"]) assert(names.includes(core), core);
  assert(!names.includes("GatewayStaticAddresses"), "claimed only with an address pool");
  assert(names.includes("GRPCRoute"), "claimed unconditionally: trailers are always served");
  const withPool = supportedFeatures({ addressPool: true }).map((f) => f.name);
  assert(withPool.includes("GatewayStaticAddresses"), "claimed with an address pool");
  assertEquals(
    new Set(withPool),
    new Set(FEATURES.filter((f) => f.state === "claimed").map((f) => f.name)),
  );
  assert(names.length <= 64, "the API allows at most 64");
  assertEquals(FEATURES.map((f) => f.name), [...FEATURES.map((f) => f.name)].sort());
});

/** Translates a snapshot holding only our GatewayClass, optionally with an address pool. */
function translateOurClass(addressPool?: string) {
  const gatewayClass: GatewayClass = {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "GatewayClass",
    metadata: { name: "serval", generation: 1 },
    spec: { controllerName: "gateway.serval.dev/controller" },
  };
  return translate(
    { ...EMPTY_SNAPSHOT, gatewayClasses: [gatewayClass] },
    { controllerName: "gateway.serval.dev/controller", ...(addressPool ? { addressPool } : {}) },
  );
}

Deno.test("our GatewayClass status carries supportedFeatures", () => {
  const result = translateOurClass();
  assertEquals(result.statuses[0].status.supportedFeatures, supportedFeatures());
});

Deno.test("with an address pool the GatewayClass status also claims the pool's features", () => {
  const result = translateOurClass("127.32.0.0/16");
  const names = (result.statuses[0].status.supportedFeatures as { name: string }[])
    .map((f) => f.name);
  assert(names.includes("GatewayStaticAddresses"));
  assert(names.includes("GatewayAddressEmpty"));
});
