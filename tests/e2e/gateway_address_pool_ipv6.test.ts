/**
 * An IPv6 `--gateway-address-pool` through the real process: a Gateway of the
 * pool `::1/128` (the IPv6 loopback, the one IPv6 address every Linux host
 * has) binds `[::1]` only, is served there, and publishes `::1` as an
 * `IPAddress`; a second Gateway finds the pool full.
 */
import { assert, assertEquals } from "@std/assert";
import { type EchoRecord, startEchoBackend } from "../_helpers/echo_backend.ts";
import { freePorts, startGateway } from "../_helpers/gateway_process.ts";
import {
  client,
  gatewayOnlyYaml,
  gatewayYaml,
  prefixRule,
  routeYaml,
  serviceYaml,
  writeManifests,
} from "./_manifests.ts";

Deno.test("an IPv6 pool: the Gateway binds and is served at [::1] only; the next one finds the pool full", async () => {
  await using echo = startEchoBackend({ name: "v6" });
  const [port] = freePorts(1);
  const dir = await Deno.makeTempDir({ prefix: "serval-pool-v6-" });
  await writeManifests(dir, {
    "gateway.yaml": gatewayYaml(port),
    "later.yaml": gatewayOnlyYaml(port, "later"),
    "service.yaml": serviceYaml("echo", echo.port),
    "route.yaml": routeYaml("web", ["example.com"], prefixRule("/", "echo")),
  });
  try {
    await using gw = await startGateway({
      manifests: dir,
      args: ["--gateway-address-pool", "::1/128"],
    });
    const config = await (await gw.admin("/config")).json();
    assertEquals(
      (config.listeners as { address?: string; port: number; bound: boolean }[])
        .map((l) => [l.address, l.port, l.bound]),
      [["::1", port, true]],
    );
    const res = await fetch(`http://[::1]:${port}/`, { headers: { host: "example.com" }, client });
    assertEquals((await res.json() as EchoRecord).name, "v6");
    const refused = await fetch(`http://127.0.0.1:${port}/`).then(() => false, () => true);
    assert(refused, "nothing listens on the IPv4 listen host");
    const statuses = config.statuses as { name: string; status: Record<string, unknown> }[];
    const statusOf = (name: string) => statuses.find((s) => s.name === name)?.status;
    assertEquals(statusOf("e2e")?.addresses, [{ type: "IPAddress", value: "::1" }]);
    assertEquals(statusOf("later")?.addresses, []);
    const programmed = (statusOf("later")?.conditions as { type: string; reason: string }[])
      .find((c) => c.type === "Programmed");
    assertEquals(programmed?.reason, "AddressNotAssigned");
    assertEquals((await gw.stop()).code, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
