import { assertEquals } from "@std/assert";
import {
  compareHostnameSpecificity,
  effectiveHostnames,
  hostnameMatches,
  intersectHostname,
} from "../../src/translate/hostname.ts";

Deno.test("*.example.com matches a.example.com and a.b.example.com", () => {
  assertEquals(hostnameMatches("*.example.com", "a.example.com"), true);
  assertEquals(hostnameMatches("*.example.com", "a.b.example.com"), true);
});

Deno.test("*.example.com does not match example.com nor a suffix that is not a label", () => {
  assertEquals(hostnameMatches("*.example.com", "example.com"), false);
  assertEquals(hostnameMatches("*.example.com", "badexample.com"), false);
});

Deno.test("an exact hostname matches only itself", () => {
  assertEquals(hostnameMatches("a.example.com", "a.example.com"), true);
  assertEquals(hostnameMatches("a.example.com", "b.example.com"), false);
});

Deno.test("intersection of an exact name and a wildcard is the exact name", () => {
  assertEquals(intersectHostname("*.example.com", "foo.example.com"), "foo.example.com");
  assertEquals(intersectHostname("foo.example.com", "*.example.com"), "foo.example.com");
  assertEquals(intersectHostname("example.com", "*.example.com"), undefined);
});

Deno.test("intersection of two wildcards is the narrower one", () => {
  assertEquals(intersectHostname("*.example.com", "*.a.example.com"), "*.a.example.com");
  assertEquals(intersectHostname("*.a.example.com", "*.example.com"), "*.a.example.com");
  assertEquals(intersectHostname("*.example.com", "*.example.net"), undefined);
});

Deno.test("listener test.example.com accepts routes for *.example.com or test.example.com", () => {
  assertEquals(effectiveHostnames("test.example.com", ["*.example.com"]), ["test.example.com"]);
  assertEquals(effectiveHostnames("test.example.com", ["test.example.com"]), ["test.example.com"]);
  assertEquals(effectiveHostnames("test.example.com", ["other.example.com"]), []);
});

Deno.test("listener *.example.com ignores route hostnames that do not match it", () => {
  assertEquals(
    effectiveHostnames("*.example.com", [
      "test.example.com",
      "test.example.net",
      "foo.test.example.com",
    ]),
    ["foo.test.example.com", "test.example.com"],
  );
  assertEquals(effectiveHostnames("*.example.com", ["example.com"]), []);
});

Deno.test("a route without hostnames takes the listener's, or * when the listener has none", () => {
  assertEquals(effectiveHostnames("*.example.com", undefined), ["*.example.com"]);
  assertEquals(effectiveHostnames(undefined, []), ["*"]);
  assertEquals(effectiveHostnames(undefined, ["b.example.com", "a.example.com", "a.example.com"]), [
    "a.example.com",
    "b.example.com",
  ]);
});

Deno.test("hostnames order: exact, then wildcards with more labels, then the catch-all", () => {
  const names = ["*", "*.example.com", "z.example.com", "*.a.example.com", "b.example.com"];
  assertEquals(names.sort(compareHostnameSpecificity), [
    "b.example.com",
    "z.example.com",
    "*.a.example.com",
    "*.example.com",
    "*",
  ]);
  assertEquals([null, "*.example.com"].sort(compareHostnameSpecificity), ["*.example.com", null]);
});
