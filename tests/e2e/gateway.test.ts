/**
 * The real gateway process, through real sockets: host and path routing,
 * rewrites, redirects, header filters, weights, error statuses, the admin and
 * telemetry endpoints. One process serves every step to keep the suite fast.
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import { type EchoBackend, type EchoReply, startEchoBackend } from "../../scripts/echo_backend.ts";
import { freePort, startGateway } from "../_helpers/gateway_process.ts";
import {
  client,
  gatewayYaml,
  prefixRule,
  routeYaml,
  serviceYaml,
  writeManifests,
} from "./_manifests.ts";

const RULES = `
- matches:
    - path: { type: Exact, value: /exact }
  backendRefs: [{ name: a, port: 80 }]
- matches:
    - path: { type: PathPrefix, value: /prefix }
  backendRefs: [{ name: b, port: 80 }]
- matches:
    - path: { type: PathPrefix, value: /strip }
  filters:
    - type: URLRewrite
      urlRewrite:
        path: { type: ReplacePrefixMatch, replacePrefixMatch: / }
  backendRefs: [{ name: a, port: 80 }]
- matches:
    - path: { type: PathPrefix, value: /full }
  filters:
    - type: URLRewrite
      urlRewrite:
        hostname: rewritten.example.com
        path: { type: ReplaceFullPath, replaceFullPath: /replaced }
  backendRefs: [{ name: a, port: 80 }]
- matches:
    - path: { type: PathPrefix, value: /redirect }
  filters:
    - type: RequestRedirect
      requestRedirect:
        scheme: https
        hostname: secure.example.com
        statusCode: 302
- matches:
    - path: { type: PathPrefix, value: /headers }
  filters:
    - type: RequestHeaderModifier
      requestHeaderModifier:
        set: [{ name: X-Set, value: set-value }]
        add: [{ name: X-Add, value: added }]
        remove: [X-Remove]
    - type: ResponseHeaderModifier
      responseHeaderModifier:
        add: [{ name: X-Response, value: from-gateway }]
  backendRefs: [{ name: a, port: 80 }]
- matches:
    - path: { type: PathPrefix, value: /variant }
      headers: [{ name: X-Variant, value: blue }]
  backendRefs: [{ name: b, port: 80 }]
- matches:
    - path: { type: PathPrefix, value: /variant }
  backendRefs: [{ name: a, port: 80 }]
- matches:
    - path: { type: PathPrefix, value: /weights }
  backendRefs:
    - { name: a, port: 80, weight: 1 }
    - { name: b, port: 80, weight: 3 }
- matches:
    - path: { type: PathPrefix, value: /dead }
  backendRefs: [{ name: dead, port: 80 }]
- matches:
    - path: { type: PathPrefix, value: /unready }
  backendRefs: [{ name: unready, port: 80 }]
- matches:
    - path: { type: PathPrefix, value: /ghost }
  backendRefs: [{ name: ghost, port: 80 }]
`;

interface Fixture {
  port: number;
  a: EchoBackend;
  b: EchoBackend;
}

async function get(
  f: Fixture,
  host: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; reply?: EchoReply; text: string }> {
  const res = await fetch(`http://127.0.0.1:${f.port}${path}`, {
    client,
    headers: { host, ...headers },
    redirect: "manual",
  });
  const text = await res.text();
  let reply: EchoReply | undefined;
  if (res.headers.get("x-echo-backend")) reply = JSON.parse(text);
  return { status: res.status, headers: res.headers, reply, text };
}

Deno.test("the gateway process routes, filters and reports through real sockets", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "serval-e2e-" });
  const a = startEchoBackend({ name: "a" });
  const b = startEchoBackend({ name: "b" });
  const port = freePort();
  const deadPort = freePort();
  await writeManifests(dir, {
    "gateway.yaml": gatewayYaml(port),
    "services.yaml": [
      serviceYaml("a", a.port),
      serviceYaml("b", b.port),
      serviceYaml("dead", deadPort),
      serviceYaml("unready", a.port, false),
    ].join("---\n"),
    "hosts.yaml": [
      routeYaml("host-a", ["a.example.com"], prefixRule("/", "a")),
      routeYaml("host-b", ["b.example.com", "*.wild.example.com"], prefixRule("/", "b")),
    ].join("---\n"),
    "paths.yaml": routeYaml("paths", ["paths.example.com"], RULES),
  });
  await using gw = await startGateway({ manifests: dir });
  const f: Fixture = { port, a, b };

  try {
    await t.step(
      "the Host header picks the route; a wildcard hostname matches subdomains",
      async () => {
        assertEquals((await get(f, "a.example.com", "/x")).reply?.backend, "a");
        assertEquals((await get(f, "b.example.com", "/x")).reply?.backend, "b");
        assertEquals((await get(f, "deep.wild.example.com", "/x")).reply?.backend, "b");
        assertEquals((await get(f, "A.Example.COM:8080", "/x")).reply?.backend, "a");
      },
    );

    await t.step("Exact and PathPrefix paths; a prefix matches whole segments only", async () => {
      assertEquals((await get(f, "paths.example.com", "/exact")).reply?.backend, "a");
      assertEquals((await get(f, "paths.example.com", "/exact/more")).status, 404);
      assertEquals((await get(f, "paths.example.com", "/prefix/x")).reply?.backend, "b");
      assertEquals((await get(f, "paths.example.com", "/prefixed")).status, 404);
    });

    await t.step("unknown host or path is 404", async () => {
      assertEquals((await get(f, "nobody.example.com", "/")).status, 404);
      assertEquals((await get(f, "paths.example.com", "/nothing-here")).status, 404);
    });

    await t.step("URLRewrite strips a prefix, replaces a full path and the host", async () => {
      const strip = await get(f, "paths.example.com", "/strip/v1/users?q=1");
      assertEquals(strip.reply?.path, "/v1/users");
      assertEquals(strip.reply?.query, "q=1");
      const full = await get(f, "paths.example.com", "/full/anything");
      assertEquals(full.reply?.path, "/replaced");
      assertEquals(full.reply?.headers.host, "rewritten.example.com");
    });

    await t.step("RequestRedirect answers 302 with the new scheme and host", async () => {
      const res = await get(f, "paths.example.com", "/redirect/x");
      assertEquals(res.status, 302);
      assertEquals(res.headers.get("location"), "https://secure.example.com/redirect/x");
    });

    await t.step("header modifiers change request and response headers", async () => {
      const res = await get(f, "paths.example.com", "/headers", {
        "x-set": "old",
        "x-add": "first",
        "x-remove": "gone",
      });
      assertEquals(res.reply?.headers["x-set"], "set-value");
      // One field with a comma-separated list: "first,added" and "first, added" are the same.
      assertEquals(res.reply?.headers["x-add"]?.replace(/\s/g, ""), "first,added");
      assertEquals(res.reply?.headers["x-remove"], undefined);
      assertEquals(res.headers.get("x-response"), "from-gateway");
      assertMatch(res.reply?.headers["x-forwarded-for"] ?? "", /127\.0\.0\.1/);
    });

    await t.step("a header match wins over the same path without it", async () => {
      assertEquals(
        (await get(f, "paths.example.com", "/variant", { "x-variant": "blue" })).reply?.backend,
        "b",
      );
      assertEquals((await get(f, "paths.example.com", "/variant")).reply?.backend, "a");
    });

    await t.step("weights 1:3 split 400 requests within tolerance", async () => {
      const counts: Record<string, number> = { a: 0, b: 0 };
      for (let batch = 0; batch < 20; batch++) {
        const replies = await Promise.all(
          Array.from({ length: 20 }, () => get(f, "paths.example.com", "/weights")),
        );
        for (const r of replies) {
          const name = r.reply?.backend ?? `status ${r.status}`;
          counts[name] = (counts[name] ?? 0) + 1;
        }
      }
      assertEquals(counts.a + counts.b, 400, JSON.stringify(counts));
      const share = counts.b / 400;
      assert(share > 0.65 && share < 0.85, `b got ${share} of requests, expected about 0.75`);
    });

    await t.step(
      "upstream failures: refused 502, no ready endpoint 503, missing Service 500",
      async () => {
        assertEquals((await get(f, "paths.example.com", "/dead")).status, 502);
        assertEquals((await get(f, "paths.example.com", "/unready")).status, 503);
        assertEquals((await get(f, "paths.example.com", "/ghost")).status, 500);
      },
    );

    await t.step("admin: /healthz, /readyz, /config, /explain, /reload, /metrics", async () => {
      assertEquals((await gw.admin("/healthz")).status, 200);
      await (await gw.admin("/healthz")).body?.cancel();
      const ready = await gw.admin("/readyz");
      assertEquals(ready.status, 200);
      await ready.body?.cancel();
      const config = await (await gw.admin("/config")).text();
      assertStringIncludes(config, "httproute/default/paths/rule/0");
      assertStringIncludes(config, String(port));
      const explain = await gw.admin(
        `/explain?port=${port}&host=paths.example.com&path=/prefix/x&method=GET`,
      );
      assertEquals(explain.status, 200);
      assertStringIncludes(await explain.text(), "httproute/default/paths/rule/1");
      const reload = await gw.admin("/reload", { method: "POST" });
      assertEquals(reload.status, 200);
      await reload.body?.cancel();
      const metrics = await (await gw.admin("/metrics")).text();
      assertMatch(
        metrics,
        /serval_http_requests_total\{[^}]*route="httproute\/default\/paths\/rule\/9"[^}]*code="502"/,
      );
      assertMatch(metrics, /serval_config_reloads_total\{result="ok"\} [1-9]/);
    });

    await t.step("telemetry: /healthz, /readyz and /metrics only", async () => {
      for (const path of ["/healthz", "/readyz", "/metrics"]) {
        const res = await fetch(`${gw.telemetryUrl}${path}`);
        assertEquals(res.status, 200, path);
        await res.body?.cancel();
      }
      const config = await fetch(`${gw.telemetryUrl}/config`);
      assertEquals(config.status, 404);
      await config.body?.cancel();
    });
  } finally {
    const status = await gw.stop();
    assertEquals(status.code, 0);
    await a.close();
    await b.close();
    await Deno.remove(dir, { recursive: true });
  }
});
