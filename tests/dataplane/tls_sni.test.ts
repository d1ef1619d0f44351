/**
 * Certificate choice per server name (Gateway API: "The GatewayClass MUST use
 * the longest matching SNI out of all available certificates"; exact names
 * before wildcards before the listener without hostname).
 */
import { assertEquals, assertNotEquals } from "@std/assert";
import { sniCertificatesFor } from "../../src/dataplane/sni.ts";
import { hostnameMatches } from "../../src/translate/hostname.ts";
import type { CertificateConfig, ListenerConfig, PortConfig } from "../../src/model/config.ts";

function listener(name: string, hostname: string | null, certificateIds: string[]): ListenerConfig {
  const id = `gateway/default/gw/listener/${name}`;
  return {
    id,
    ids: [id],
    hostname,
    port: 443,
    protocol: "HTTPS",
    tls: { certificateIds },
    virtualHosts: [],
  };
}

function certificate(name: string, pem = name): CertificateConfig {
  return {
    id: `secret/default/${name}`,
    certPem: `cert:${pem}`,
    keyPem: `key:${pem}`,
    dnsNames: [],
    notAfter: "2030-01-01T00:00:00.000Z",
  };
}

function port(listeners: ListenerConfig[]): PortConfig {
  return { port: 443, protocol: "HTTPS", listeners };
}

const CERTS = ["exact", "wild", "deep-wild", "default"].map((n) => certificate(n));
const FULL = port([
  // Deliberately not in precedence order: the choice must not depend on it.
  listener("default", null, ["secret/default/default"]),
  listener("wild", "*.example.com", ["secret/default/wild"]),
  listener("exact", "foo.example.com", ["secret/default/exact"]),
  listener("deep-wild", "*.test.example.com", ["secret/default/deep-wild"]),
]);

const CASES: [serverName: string, certificate: string | undefined, why: string][] = [
  ["foo.example.com", "cert:exact", "an exact hostname wins over a wildcard that also matches"],
  ["bar.example.com", "cert:wild", "a wildcard covers one more label"],
  ["a.b.example.com", "cert:wild", "a wildcard covers several more labels"],
  ["internal.test.example.com", "cert:deep-wild", "the wildcard with more labels wins"],
  ["example.com", "cert:default", "*.example.com does not match example.com itself"],
  ["other.org", "cert:default", "an unknown name gets the listener without hostname"],
  ["", "cert:default", "a client without SNI gets the listener without hostname"],
  ["FOO.Example.COM", "cert:exact", "server names compare case-insensitively"],
  ["foo.example.com.", "cert:exact", "a trailing dot names the same host"],
];

for (const [serverName, expected, why] of CASES) {
  Deno.test(`SNI "${serverName}" gets ${expected}: ${why}`, () => {
    assertEquals(sniCertificatesFor(FULL, CERTS).resolve(serverName)?.cert, expected);
  });
}

Deno.test("an unknown server name fails the handshake when no listener lacks a hostname", () => {
  const sni = sniCertificatesFor(port(FULL.listeners.filter((l) => l.hostname !== null)), CERTS);
  assertEquals(sni.resolve("other.org"), undefined);
  assertEquals(sni.resolve(""), undefined);
  assertEquals(sni.resolve("foo.example.com")?.cert, "cert:exact");
});

Deno.test("a listener serves the first of its certificates that translate resolved", () => {
  const sni = sniCertificatesFor(
    port([
      listener("l", null, [
        "secret/default/missing",
        "secret/default/wild",
        "secret/default/exact",
      ]),
    ]),
    CERTS,
  );
  assertEquals(sni.entries.map((e) => e.certificateId), ["secret/default/wild"]);
});

Deno.test("a listener without any resolved certificate takes no handshakes", () => {
  const sni = sniCertificatesFor(
    port([listener("exact", "foo.example.com", ["secret/default/missing"])]),
    CERTS,
  );
  assertEquals(sni.entries, []);
  assertEquals(sni.resolve("foo.example.com"), undefined);
});

Deno.test("entries are ordered exact, wildcards by labels, then default", () => {
  assertEquals(
    sniCertificatesFor(FULL, CERTS).entries.map((e) => e.hostname),
    ["foo.example.com", "*.test.example.com", "*.example.com", null],
  );
});

Deno.test("the fingerprint changes with a certificate's content and not otherwise", () => {
  const before = sniCertificatesFor(FULL, CERTS).fingerprint;
  assertEquals(sniCertificatesFor(FULL, CERTS.map((c) => ({ ...c }))).fingerprint, before);
  const renewed = CERTS.map((c) =>
    c.id === "secret/default/wild" ? certificate("wild", "renewed") : c
  );
  assertNotEquals(sniCertificatesFor(FULL, renewed).fingerprint, before);
  const fewer = port(FULL.listeners.filter((l) => l.hostname !== "foo.example.com"));
  assertNotEquals(sniCertificatesFor(fewer, CERTS).fingerprint, before);
});

Deno.test("wildcard hostnames match by suffix of whole labels only", () => {
  assertEquals(hostnameMatches("*.example.com", "a.example.com"), true);
  assertEquals(hostnameMatches("*.example.com", "aexample.com"), false);
  assertEquals(hostnameMatches("*.example.com", "example.com"), false);
  assertEquals(hostnameMatches("foo.example.com", "foo.example.com"), true);
});

Deno.test("one key pair for every name only when a default listener and every other listener share its certificate", () => {
  const shared = [certificate("shared")];
  const uniform = (listeners: ListenerConfig[], certs = shared) =>
    sniCertificatesFor(port(listeners), certs).uniformKeyPair;
  assertEquals(uniform([listener("default", null, ["secret/default/shared"])]), {
    cert: "cert:shared",
    key: "key:shared",
  });
  assertEquals(
    uniform([
      listener("default", null, ["secret/default/shared"]),
      listener("exact", "foo.example.com", ["secret/default/shared"]),
    ])?.cert,
    "cert:shared",
  );
  // Without a default listener an unknown name must fail its handshake.
  assertEquals(
    uniform([listener("exact", "foo.example.com", ["secret/default/shared"])]),
    undefined,
  );
  assertEquals(uniform([...FULL.listeners], CERTS), undefined);
  const validating = listener("default", null, ["secret/default/shared"]);
  validating.tls = {
    certificateIds: ["secret/default/shared"],
    clientValidation: { mode: "AllowValidOnly", caRefs: [], caCertificates: ["ca"] },
  };
  assertEquals(uniform([validating]), undefined);
});
