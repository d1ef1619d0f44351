/**
 * The admin API's Host/Origin guard and bearer tokens, on the app itself
 * (no socket): what a browser page on the node, or a client without the
 * token, gets.
 */
import { assertEquals } from "@std/assert";
import { Hono } from "hono";
import { createAdminGuard, isAllowedAdminHost } from "../../src/admin/admin_guard.ts";
import { createTokenFile } from "../../src/admin/admin_token.ts";
import { createLogger, silentLogger } from "../../src/log/logger.ts";

function app(options: Parameters<typeof createAdminGuard>[0] = {}): Hono {
  const a = new Hono();
  a.use(createAdminGuard(options));
  a.get("/healthz", (c) => c.text("ok"));
  a.get("/config", (c) => c.json({ config: true }));
  a.post("/reload", (c) => c.json({ ok: true }));
  return a;
}

const at = (host: string, init: RequestInit & { headers?: Record<string, string> } = {}) => ({
  ...init,
  headers: { host, ...init.headers },
});

Deno.test("loopback addresses, localhost and any IP are admin hosts; other names are not", () => {
  for (const host of ["127.0.0.1:9901", "localhost:9901", "[::1]:9901", "10.1.2.3", "LOCALHOST"]) {
    assertEquals(isAllowedAdminHost(host), true, host);
  }
  for (const host of ["evil.example:9901", "127.0.0.1.nip.io", "", "a b", "localhost.evil"]) {
    assertEquals(isAllowedAdminHost(host), false, host);
  }
  assertEquals(isAllowedAdminHost("Admin.Internal:9901", ["admin.internal"]), true);
});

Deno.test("a request for a rebound host name is a 403, whatever the path", async () => {
  const a = app();
  for (const path of ["/config", "/healthz"]) {
    const res = await a.request(path, at("evil.example:9901"));
    assertEquals(res.status, 403, path);
    assertEquals((await res.json()).error.includes("evil.example"), true);
  }
  assertEquals((await a.request("/config", at("127.0.0.1:9901"))).status, 200);
  assertEquals(
    (await app({ allowedHosts: ["admin.internal"] })
      .request("/config", at("admin.internal:9901"))).status,
    200,
  );
});

Deno.test("a cross-site Origin is a 403; the admin API's own origin is not", async () => {
  const a = app();
  const post = (origin: string) =>
    a.request("/reload", at("127.0.0.1:9901", { method: "POST", headers: { origin } }));
  assertEquals((await post("http://evil.example")).status, 403);
  assertEquals((await post("null")).status, 403);
  assertEquals((await post("http://127.0.0.1:8080")).status, 403);
  assertEquals((await post("http://127.0.0.1:9901")).status, 200);
  assertEquals((await a.request("/reload", at("127.0.0.1:9901", { method: "POST" }))).status, 200);
});

Deno.test("with tokens, every path but /healthz wants a valid bearer token", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/token`;
  await Deno.writeTextFile(file, "first-token\n");
  const a = app({ tokens: createTokenFile(file, silentLogger) });
  const get = (authorization?: string) =>
    a.request("/config", at("127.0.0.1:9901", authorization ? { headers: { authorization } } : {}));
  assertEquals((await get()).status, 401);
  assertEquals((await get()).headers.get("www-authenticate"), 'Bearer realm="serval-admin"');
  assertEquals((await get("Bearer wrong")).status, 401);
  assertEquals((await get("Basic Zmlyc3QtdG9rZW4=")).status, 401);
  assertEquals((await get("Bearer first-token")).status, 200);
  assertEquals((await a.request("/healthz", at("127.0.0.1:9901"))).status, 200);

  // Rotation: both tokens during the move, then only the new one; no restart.
  await Deno.writeTextFile(file, "first-token\nsecond-token-longer\n");
  assertEquals((await get("Bearer second-token-longer")).status, 200);
  assertEquals((await get("Bearer first-token")).status, 200);
  await Deno.writeTextFile(file, "second-token-longer\n");
  assertEquals((await get("Bearer first-token")).status, 401);
  assertEquals((await get("Bearer second-token-longer")).status, 200);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("an unreadable token file keeps the last tokens and says so in the log", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/token`;
  await Deno.writeTextFile(file, "t1\n");
  const lines: string[] = [];
  const tokens = createTokenFile(
    file,
    createLogger({ level: "warn", write: (l) => lines.push(l) }),
  );
  assertEquals(await tokens.accepts("t1"), true);
  await Deno.remove(file);
  assertEquals(await tokens.accepts("t1"), true);
  assertEquals(lines.some((l) => l.includes("cannot read the admin token file")), true);
  assertEquals(await createTokenFile(`${dir}/missing`, silentLogger).accepts(""), false);
  await Deno.remove(dir, { recursive: true });
});
