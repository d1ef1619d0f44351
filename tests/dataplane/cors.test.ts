import { assertEquals } from "@std/assert";
import { corsPreflight, corsResponseHeaders, originAllowed } from "../../src/dataplane/cors.ts";
import type { CorsConfig } from "../../src/model/config.ts";

const CORS: CorsConfig = {
  type: "CORS",
  allowOrigins: ["https://www.foo.com", "https://*.bar.com", "http://plain.example:8080"],
  allowCredentials: false,
  allowMethods: ["GET", "PUT"],
  allowHeaders: ["x-a"],
  exposeHeaders: ["*"],
  maxAge: 5,
};

Deno.test("origins: exact, wildcard to the left, default ports, scheme and port must agree", () => {
  const allowed = CORS.allowOrigins;
  assertEquals(originAllowed(allowed, "https://www.foo.com"), true);
  assertEquals(originAllowed(allowed, "HTTPS://WWW.FOO.COM"), true);
  assertEquals(originAllowed(allowed, "https://www.foo.com:443"), true);
  assertEquals(originAllowed(allowed, "https://www.foo.com:8443"), false);
  assertEquals(originAllowed(allowed, "http://www.foo.com"), false);
  assertEquals(originAllowed(allowed, "https://a.b.bar.com"), true);
  assertEquals(originAllowed(allowed, "https://bar.com"), false);
  assertEquals(originAllowed(allowed, "https://xbar.com"), false);
  assertEquals(originAllowed(allowed, "http://plain.example:8080"), true);
  assertEquals(originAllowed(allowed, "http://plain.example"), false);
  assertEquals(originAllowed(allowed, "null"), false);
  assertEquals(originAllowed(["*"], "null"), true);
});

Deno.test("a preflight lists the configured methods and headers; '*' expose headers stay without credentials", () => {
  const res = corsPreflight(
    CORS,
    "OPTIONS",
    new Headers({
      origin: "https://x.bar.com",
      "access-control-request-method": "PUT",
      "access-control-request-headers": "x-a",
    }),
  );
  assertEquals(res?.status, 204);
  assertEquals(Object.fromEntries(res!.headers), {
    "access-control-allow-origin": "https://x.bar.com",
    "access-control-allow-methods": "GET, PUT",
    "access-control-allow-headers": "x-a",
    "access-control-expose-headers": "*",
    "access-control-max-age": "5",
    vary: "Origin",
  });
});

Deno.test("only OPTIONS with Origin and Access-Control-Request-Method is a preflight", () => {
  const origin = "https://www.foo.com";
  assertEquals(corsPreflight(CORS, "OPTIONS", new Headers({ origin })), undefined);
  assertEquals(
    corsPreflight(CORS, "GET", new Headers({ origin, "access-control-request-method": "GET" })),
    undefined,
  );
});

Deno.test("with credentials a literal '*' is never exposed", () => {
  const headers = corsResponseHeaders(
    { ...CORS, allowCredentials: true },
    new Headers({ origin: "https://www.foo.com" }),
  );
  assertEquals(headers, [
    ["access-control-allow-credentials", "true"],
    ["access-control-allow-origin", "https://www.foo.com"],
  ]);
  assertEquals(corsResponseHeaders(CORS, new Headers({ origin: "https://evil.example" })), []);
});
