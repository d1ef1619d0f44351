/**
 * Secret validation (core v1). As the API server does on write, `stringData`
 * is folded into `data` (base64-encoded, overriding a `data` key of the same
 * name) and dropped, so consumers only ever read `data`. `kubernetes.io/tls`
 * Secrets must carry `tls.crt` and `tls.key`; whether they parse is decided
 * where certificates are loaded.
 *
 * @example
 * ```ts
 * import { FieldChecker } from "./validate_fields.ts";
 * import { readSecret } from "./validate_secret.ts";
 * const c = new FieldChecker();
 * const head = { apiVersion: "v1", kind: "Secret", metadata: { name: "s" } };
 * readSecret(c, { stringData: { token: "abc" } }, head).data; // { token: "YWJj" }
 * ```
 * @module
 */
import type { Secret } from "./core_types.ts";
import type { KubeObject } from "./object_meta.ts";
import { type FieldChecker, put } from "./validate_fields.ts";

const DATA_KEY = {
  minLength: 1,
  maxLength: 253,
  pattern: /^[-._a-zA-Z0-9]+$/,
  patternHint: "a key of letters, digits, '-', '_' and '.'",
};
const BASE64 = {
  pattern: /^[A-Za-z0-9+/]*={0,2}$/,
  patternHint: "base64-encoded (use stringData for plain text)",
};
const encoder = new TextEncoder();

/** Base64 of the UTF-8 bytes of `text`. */
export function encodeBase64Text(text: string): string {
  const bytes = encoder.encode(text);
  let binary = "";
  // Chunks keep the argument list of fromCharCode far below engine limits.
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/** Reads a Secret whose `apiVersion`, `kind` and `metadata` are already read. */
export function readSecret(
  c: FieldChecker,
  raw: Record<string, unknown>,
  head: KubeObject,
): Secret {
  const out: Secret = { ...head, kind: "Secret" };
  put(out, "type", c.string(raw.type, "type"));
  const data = c.stringMap(raw.data, "data", DATA_KEY);
  if (data) {
    for (const key in data) {
      const value = data[key].replace(/\s+/g, "");
      if (value.length % 4 !== 0 || !BASE64.pattern.test(value)) {
        c.error(`data[${JSON.stringify(key)}]`, `must be ${BASE64.patternHint}`);
      }
      data[key] = value;
    }
  }
  const stringData = c.stringMap(raw.stringData, "stringData", DATA_KEY);
  let merged = data;
  if (stringData) {
    merged = { ...data };
    for (const key in stringData) merged[key] = encodeBase64Text(stringData[key]);
  }
  put(out, "data", merged);
  if (out.type === "kubernetes.io/tls") {
    for (const key of ["tls.crt", "tls.key"]) {
      if (merged?.[key] === undefined) {
        c.error(`data[${JSON.stringify(key)}]`, "is required for a kubernetes.io/tls Secret");
      }
    }
  }
  return out;
}
