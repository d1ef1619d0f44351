import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { validateCertificate } from "../../src/resources/certificate.ts";

const CERTS = new URL("../translate/testdata/certs/", import.meta.url);
const cert = Deno.readTextFileSync(new URL("example.crt", CERTS));
const key = Deno.readTextFileSync(new URL("example.key", CERTS));
const otherKey = Deno.readTextFileSync(new URL("other.key", CERTS));

Deno.test("a matching certificate and key give the DNS names and notAfter", () => {
  const result = validateCertificate(cert, key, "2030-01-01T00:00:00Z");
  assert(result.ok);
  assertEquals(result.dnsNames, ["example.com", "*.example.com"]);
  assertEquals(result.notAfter.startsWith("2126-"), true);
});

Deno.test("a key that does not match the certificate is rejected", () => {
  const result = validateCertificate(cert, otherKey);
  assert(!result.ok);
  assertStringIncludes(result.error, "does not match");
});

Deno.test("an expired certificate is rejected only when now is given", () => {
  const expired = validateCertificate(cert, key, "2200-01-01T00:00:00Z");
  assert(!expired.ok);
  assertStringIncludes(expired.error, "expired");
  assert(validateCertificate(cert, key).ok);
});

Deno.test("a certificate used before its validity starts is rejected", () => {
  const result = validateCertificate(cert, key, "2000-01-01T00:00:00Z");
  assert(!result.ok);
  assertStringIncludes(result.error, "not valid before");
});

Deno.test("bad PEM is rejected and no error ever quotes the key", () => {
  const cases: [string, string][] = [
    ["garbage", key],
    ["-----BEGIN CERTIFICATE-----\nbm9wZQ==\n-----END CERTIFICATE-----\n", key],
    [cert, "garbage " + key.slice(40, 80)],
    [cert, key.replace("-----END", "AAAA-----END")],
  ];
  for (const [c, k] of cases) {
    const result = validateCertificate(c, k);
    assert(!result.ok);
    for (const line of key.split("\n").filter((l) => l.length > 8 && !l.startsWith("-----"))) {
      assertEquals(result.error.includes(line), false, "the error quotes key material");
    }
    assertEquals(result.error.includes(key.slice(40, 80)), false);
  }
});
