/**
 * The HTTPRoute header modifier filters (RequestHeaderModifier and
 * ResponseHeaderModifier): set, then add, then remove, with
 * case-insensitive names.
 * @module
 */
import type { HeaderModifierConfig } from "../model/config.ts";

/**
 * Applies a header modifier to `headers` in place. `add` appends to an
 * existing value with a bare comma (`a,b`), the form the Gateway API
 * conformance suite expects; `set` replaces every value; `remove` deletes.
 *
 * @example
 * ```ts
 * import { applyHeaderModifier } from "./header_modifier.ts";
 * const h = new Headers({ "x-a": "1" });
 * applyHeaderModifier(h, { set: [], add: [{ name: "X-A", value: "2" }], remove: [] });
 * h.get("x-a"); // "1,2"
 * ```
 */
export function applyHeaderModifier(headers: Headers, modifier: HeaderModifierConfig): void {
  for (const { name, value } of modifier.set) headers.set(name, value);
  for (const { name, value } of modifier.add) {
    const existing = headers.get(name);
    // Headers.append would join with ", "; the spec's examples use a bare comma.
    headers.set(name, existing === null ? value : `${existing},${value}`);
  }
  for (const name of modifier.remove) headers.delete(name);
}
