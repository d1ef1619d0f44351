/**
 * The field checks of RFC 9113 §8.2.1 that the HPACK decoder applies to
 * each decoded field, so that what it returns can go straight into a
 * `Headers` object: a name is a lower-case token (RFC 9110 §5.1), with a
 * colon allowed only as the first character of a pseudo-header; a value
 * holds no NUL, CR or LF and neither starts nor ends with a space or tab.
 * @module
 */

// 1 for the octets a name may hold: RFC 9110 tchar without upper case.
const NAME_OCTETS = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz") {
  NAME_OCTETS[c.charCodeAt(0)] = 1;
}

/**
 * Why the field `name: value` is malformed under RFC 9113 §8.2.1, or
 * `undefined` when it is well formed. Both are latin-1 strings.
 *
 * @example
 * ```ts
 * import { checkField } from "./hpack_fields.ts";
 * console.log(checkField("content-type", "text/plain")); // undefined
 * console.log(checkField("Content-Type", "text/plain")); // Cannot accept header field name: ...
 * ```
 */
export function checkField(name: string, value: string): string | undefined {
  const start = name.charCodeAt(0) === 0x3a ? 1 : 0;
  if (name.length === start) {
    return `Cannot accept header field name: ${JSON.stringify(name)} is empty`;
  }
  for (let i = start; i < name.length; i++) {
    if (NAME_OCTETS[name.charCodeAt(i)] !== 1) {
      return `Cannot accept header field name: ${JSON.stringify(name)} is not a lower-case token`;
    }
  }
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x00 || c === 0x0a || c === 0x0d) {
      return `Cannot accept header field value of ${name}: it holds NUL, CR or LF`;
    }
  }
  if (value.length > 0) {
    const first = value.charCodeAt(0);
    const last = value.charCodeAt(value.length - 1);
    if (first === 0x20 || first === 0x09 || last === 0x20 || last === 0x09) {
      return `Cannot accept header field value of ${name}: it starts or ends with white space`;
    }
  }
  return undefined;
}
