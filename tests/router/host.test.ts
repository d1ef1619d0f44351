import { assertEquals } from "@std/assert";
import { hostFromAuthority } from "../../src/router/host.ts";

const cases: [string, string, string | null][] = [
  ["a host name is kept", "example.com", "example.com"],
  ["host names are lower-cased", "API.Example.COM", "api.example.com"],
  ["the port is stripped", "example.com:8080", "example.com"],
  ["an empty port is stripped", "example.com:", "example.com"],
  ["a trailing dot is stripped", "example.com.", "example.com"],
  ["a trailing dot before the port is stripped", "example.com.:443", "example.com"],
  ["an IPv4 address is kept", "10.0.0.1:80", "10.0.0.1"],
  ["IPv6 brackets are stripped", "[::1]", "::1"],
  ["IPv6 brackets and port are stripped", "[2001:DB8::1]:8443", "2001:db8::1"],
  ["a single label is allowed", "localhost", "localhost"],
  ["underscores and hyphens are allowed", "my_svc-1.internal", "my_svc-1.internal"],
  ["an empty authority is garbage", "", null],
  ["a port alone is garbage", ":80", null],
  ["user info is garbage", "user@example.com", null],
  ["a bare IPv6 address is garbage", "::1", null],
  ["an unclosed IPv6 bracket is garbage", "[::1", null],
  ["an IPv6 zone is garbage", "[fe80::1%25eth0]", null],
  ["text after IPv6 brackets is garbage", "[::1]x", null],
  ["a non-numeric port is garbage", "example.com:http", null],
  ["a port above 65535 is garbage", "example.com:65536", null],
  ["an empty label is garbage", "a..example.com", null],
  ["two trailing dots are garbage", "example.com..", null],
  ["a leading dot is garbage", ".example.com", null],
  ["a wildcard is garbage", "*.example.com", null],
  ["a label over 63 characters is garbage", "a".repeat(64) + ".com", null],
  ["a host over 253 characters is garbage", ("a".repeat(60) + ".").repeat(5) + "com", null],
  ["non-ASCII is garbage (IDNs arrive as punycode)", "b\u00fccher.example", null],
  ["a space is garbage", "exa mple.com", null],
  ["a path is garbage", "example.com/x", null],
];

for (const [name, input, expected] of cases) {
  Deno.test(`hostFromAuthority: ${name}`, () => {
    assertEquals(hostFromAuthority(input), expected);
  });
}
