/**
 * The examples behave as the README and the demo say, through the real
 * process. The manifests are copied with their fixed ports (8080, 3001, 3002)
 * replaced by free ones, so the test never collides with a running demo.
 */
import { assertEquals } from "@std/assert";
import { startEchoBackend } from "../../scripts/echo_backend.ts";
import { freePort, startGateway } from "../_helpers/gateway_process.ts";
import { client } from "./_manifests.ts";

const EXAMPLES = new URL("../../examples/", import.meta.url);

Deno.test("the examples route /v1/users, /v1/orders, /legacy and /old-users as documented", async () => {
  const users = startEchoBackend({ name: "users" });
  const orders = startEchoBackend({ name: "orders" });
  const port = freePort();
  const dir = await Deno.makeTempDir({ prefix: "serval-e2e-examples-" });
  const ports: Record<string, number> = { "8080": port, "3001": users.port, "3002": orders.port };
  for await (const entry of Deno.readDir(EXAMPLES)) {
    const text = await Deno.readTextFile(new URL(entry.name, EXAMPLES));
    await Deno.writeTextFile(
      `${dir}/${entry.name}`,
      text.replace(/\b(8080|3001|3002)\b/g, (p) => String(ports[p])),
    );
  }
  await using gw = await startGateway({ manifests: dir });
  const get = async (path: string, host = "api.example.com") => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, {
      client,
      headers: { host },
      redirect: "manual",
    });
    const body = res.headers.get("x-echo-backend") ? await res.json() : await res.text();
    return { res, body };
  };
  try {
    const u = await get("/v1/users");
    assertEquals([u.res.status, u.body.backend, u.body.path], [200, "users", "/v1/users"]);
    const o = await get("/v1/orders/7");
    assertEquals([o.body.backend, o.res.headers.get("x-served-by")], ["orders", "serval"]);
    const legacy = await get("/legacy/v1/users");
    assertEquals([legacy.body.backend, legacy.body.path], ["users", "/v1/users"]);
    const old = await get("/old-users");
    assertEquals(old.res.status, 301);
    assertEquals(new URL(old.res.headers.get("location") ?? "").pathname, "/v1/users");
    assertEquals((await get("/", "other.example.com")).res.status, 404);
  } finally {
    assertEquals((await gw.stop()).code, 0);
    await users.close();
    await orders.close();
    await Deno.remove(dir, { recursive: true });
  }
});
