/**
 * `FieldHeaders` reads a parsed head as `Headers` reads the same fields:
 * names in sorted order, repeated fields joined with ", " in the order
 * sent, `set-cookie` visited once per field, `get` case-insensitive.
 */
import { assertEquals } from "@std/assert";
import { FieldHeaders } from "../../src/dataplane/field_headers.ts";

function visits(fields: [string, string][]): string[] {
  const seen: string[] = [];
  new FieldHeaders(fields).forEach((value, name) => seen.push(`${name}: ${value}`));
  return seen;
}

function headersVisits(fields: [string, string][]): string[] {
  const headers = new Headers();
  for (const [name, value] of fields) headers.append(name, value);
  const seen: string[] = [];
  headers.forEach((value, name) => seen.push(`${name}: ${value}`));
  return seen;
}

Deno.test("field headers: forEach visits as Headers does, for heads in any order with repeats and cookies", () => {
  const heads: [string, string][][] = [
    [],
    [["host", "a"]],
    [["host", "a"], ["user-agent", "u"], ["accept", "*/*"]],
    [["b", "1"], ["a", "2"], ["b", "3"], ["c", "4"], ["a", "5"]],
    [["set-cookie", "x=1"], ["accept", "y"], ["set-cookie", "z=2"], ["a", "q"]],
    [["z", "1"], ["y", "2"], ["x", "3"], ["w", "4"], ["v", "5"], ["v", "6"]],
  ];
  for (const fields of heads) assertEquals(visits(fields), headersVisits(fields));
});

Deno.test("field headers: get is case-insensitive and joins repeats in the order sent", () => {
  const headers = new FieldHeaders([["x-a", "1"], ["host", "h"], ["x-a", "2"]]);
  assertEquals(headers.get("X-A"), "1, 2");
  assertEquals(headers.get("host"), "h");
  assertEquals(headers.get("missing"), null);
});
