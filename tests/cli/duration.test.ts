import { assertEquals } from "@std/assert";
import { formatDuration, parseFlagDuration } from "../../src/cli/duration.ts";
import { formatHostPort, parseHostPort } from "../../src/cli/host_port.ts";

Deno.test("durations read like Go and Kubernetes durations", () => {
  assertEquals(parseFlagDuration("15s"), 15_000);
  assertEquals(parseFlagDuration("500ms"), 500);
  assertEquals(parseFlagDuration("1m30s"), 90_000);
  assertEquals(parseFlagDuration("1.5s"), 1_500);
  assertEquals(parseFlagDuration("2h"), 7_200_000);
  assertEquals(parseFlagDuration("0"), 0);
});

Deno.test("a bare number, a unit alone or trailing junk is not a duration", () => {
  for (const text of ["5", "s", "", "10sx", "-1s", "1 s", "1d"]) {
    assertEquals(parseFlagDuration(text), undefined, text);
  }
});

Deno.test("formatDuration round-trips through parseFlagDuration", () => {
  for (const ms of [0, 250, 1000, 90_000, 3_661_000]) {
    assertEquals(parseFlagDuration(formatDuration(ms)), ms);
  }
});

Deno.test("HOST:PORT accepts names, IPv4 and bracketed IPv6", () => {
  assertEquals(parseHostPort("127.0.0.1:9901"), { hostname: "127.0.0.1", port: 9901 });
  assertEquals(parseHostPort("localhost:0"), { hostname: "localhost", port: 0 });
  assertEquals(parseHostPort("[::]:9902"), { hostname: "::", port: 9902 });
  assertEquals(formatHostPort({ hostname: "::1", port: 1 }), "[::1]:1");
});

Deno.test("HOST:PORT rejects a missing host, a missing port and unbracketed IPv6", () => {
  for (const text of ["x", ":9901", "127.0.0.1:", "::1:9901", "a b:1", "h:65536", "[::1]9901"]) {
    assertEquals(parseHostPort(text), undefined, text);
  }
});
