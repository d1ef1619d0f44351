/**
 * The client's headers read from its head's bytes (`head_fields.ts`), and
 * the backend's fields written from them (`forwarded_fields.ts`): the same
 * fields read, held back, added and changed as `forward_headers.ts` does
 * with strings, no string made of a field passed on as it came.
 *
 * @example
 * ```ts
 * import { forwardRequestFields, readHeadFields } from "./head_forwarding.ts";
 * import { HeadFields } from "./head_fields.ts";
 * const lines = new HeadFields(new TextEncoder().encode("Host: a.example\r\nX-A: 1"));
 * lines.add(0, 4, 6, 15, "host");
 * lines.host = "a.example";
 * lines.add(17, 20, 22, 23, null);
 * const fields = forwardRequestFields({
 *   client: readHeadFields(lines, "drop"), modifiers: [], xffTrustedHops: 0,
 *   host: "a.example", clientIp: "10.0.0.1", scheme: "http", forwardedHost: "a.example",
 * });
 * fields.pairs(); // ["host", "a.example", "x-a", "1", "x-forwarded-for", "10.0.0.1", ...]
 * ```
 * @module
 */
import type { HeaderModifierConfig } from "../model/config.ts";
import { type ClientHeaders, type ForwardHeadersInput, gatewayFields } from "./client_headers.ts";
import { ForwardedFields } from "./forwarded_fields.ts";
import { knownFieldName } from "./h1/known_field_names.ts";
import type { HeadFields } from "./head_fields.ts";
import { connectionListedHeaders, HOP_BY_HOP_HEADERS, NOT_MODIFIABLE } from "./hop_by_hop.ts";
import type { UnderscoreHeaderPolicy } from "./request_policy.ts";

/**
 * The names {@linkcode readHeadFields} reads by their known string
 * (`HeadFields.known`): a field whose name is not known is none of them.
 * Checked once here, so a name taken off the known list fails loudly.
 */
for (
  const name of [
    "host",
    "content-length",
    "connection",
    "x-forwarded-for",
    "x-forwarded-proto",
    "x-forwarded-host",
    "transfer-encoding",
    "expect",
  ]
) {
  if (knownName(name) !== name) {
    throw new Error(`Cannot read heads from bytes: ${name} is not a known field name`);
  }
}

function knownName(name: string): string | undefined {
  const bytes = Uint8Array.from(name, (c) => c.charCodeAt(0));
  return knownFieldName(bytes, 0, bytes.length);
}

/**
 * Hop-by-hop names that are not known ones (`proxy-connection`): a field
 * of an unknown name is compared with these on its bytes.
 */
const UNKNOWN_HOP_BY_HOP = [...HOP_BY_HOP_HEADERS].filter((name) => knownName(name) !== name);

function isUnknownHopByHop(lines: HeadFields, i: number): boolean {
  for (let k = 0; k < UNKNOWN_HOP_BY_HOP.length; k++) {
    if (lines.isNamed(i, UNKNOWN_HOP_BY_HOP[k])) return true;
  }
  return false;
}

/** The client-address claims, known names (checked as the hop-by-hop ones are). */
const ADDRESS_CLAIMS = ["forwarded", "x-real-ip"];
if (ADDRESS_CLAIMS.some((name) => knownName(name) !== name)) {
  throw new Error("Cannot read heads from bytes: forwarded and x-real-ip must be known names");
}

/** `ClientHeaders.pairs` of a client read from bytes (shared, never written to). */
const NO_PAIRS: string[] = Object.freeze([]) as unknown as string[];

/**
 * {@linkcode readClientHeaders} over a head's bytes: the same fields read,
 * each kept one as its index, no string of it made. A repeated field the
 * proxy reads (`Content-Length`, `Connection`, `X-Forwarded-For`) is joined
 * as `Headers` would join it.
 */
export function readHeadFields(
  lines: HeadFields,
  underscores: UnderscoreHeaderPolicy,
): ClientHeaders {
  const kept: number[] = [];
  const out: ClientHeaders = {
    host: lines.host,
    contentLength: null,
    connection: null,
    forwardedFor: null,
    transferEncoding: false,
    underscore: false,
    pairs: NO_PAIRS,
    lines,
    kept,
  };
  const known = lines.known;
  for (let i = 0; i < known.length; i++) {
    switch (known[i]) {
      case null:
        if (hasUnderscore(lines, i)) {
          out.underscore = true;
          if (underscores !== "allow") continue;
        }
        break;
      case "host":
      case "x-forwarded-proto":
      case "x-forwarded-host":
      case "expect":
        continue;
      case "content-length":
        out.contentLength = joined(out.contentLength, lines.value(i));
        continue;
      case "connection":
        out.connection = joined(out.connection, lines.value(i));
        continue;
      case "x-forwarded-for":
        out.forwardedFor = joined(out.forwardedFor, lines.value(i));
        continue;
      case "transfer-encoding":
        out.transferEncoding = true;
        continue;
    }
    kept.push(i);
  }
  return out;
}

function joined(previous: string | null, value: string): string {
  return previous === null ? value : `${previous}, ${value}`;
}

/** Whether field `i`'s name holds `_` (no known name does). */
function hasUnderscore(lines: HeadFields, i: number): boolean {
  const buf = lines.buf;
  const p = lines.places;
  for (let j = p[4 * i], end = p[4 * i + 1]; j < end; j++) if (buf[j] === 95) return true;
  return false;
}

/**
 * {@linkcode forwardRequestHeaders} for a client read from its head's bytes
 * (`ClientHeaders.lines`): the same fields pass and the same are added, the
 * client's as the lines it sent, to be written from its bytes during the
 * handler's call (`forwarded_fields.ts`).
 */
export function forwardRequestFields(input: ForwardHeadersInput): ForwardedFields {
  const client = input.client;
  const lines = client.lines!;
  const listed = connectionListedHeaders(client.connection);
  const trustsClientAddress = input.xffTrustedHops > 0;
  const from = client.kept!;
  // The client's list itself while every field passes (the common head): a
  // list of its own once one is dropped, or when modifiers may change it.
  let kept = input.modifiers.length > 0 ? from.slice(0, 0) : undefined;
  const known = lines.known;
  for (let k = 0; k < from.length; k++) {
    const i = from[k];
    const name = known[i];
    let passes: boolean;
    if (name !== null) {
      passes = !HOP_BY_HOP_HEADERS.has(name) && (listed === undefined || !listed.has(name)) &&
        // Other ways to claim a client address; only a trusted proxy may make them.
        (trustsClientAddress || (name !== "forwarded" && name !== "x-real-ip"));
    } else {
      passes = !isUnknownHopByHop(lines, i) &&
        (listed === undefined || !listed.has(lines.name(i)));
    }
    if (!passes) kept ??= from.slice(0, k);
    else kept?.push(i);
  }
  const fields = new ForwardedFields(lines, kept ?? from, gatewayFields(input));
  for (const modifier of input.modifiers) modifyFields(fields, modifier);
  return fields;
}

/**
 * {@linkcode modifyHeaderList} over forwarded fields: a name the gateway
 * added is changed where it is; a client's field that a modifier sets or
 * removes is no longer passed on, and one it adds to is passed on as the
 * gateway's, its value joined as `Headers` joins a repeated field.
 */
function modifyFields(fields: ForwardedFields, modifier: HeaderModifierConfig): void {
  const list = fields.added;
  const find = (name: string) => {
    for (let i = 2; i < list.length; i += 2) if (list[i] === name) return i;
    return -1;
  };
  /** Takes the client's fields named `name` out of those passed on; their joined value, or null. */
  const takeClient = (name: string): string | null => {
    const kept = fields.kept;
    const lines = fields.lines;
    let value: string | null = null;
    let to = 0;
    for (let k = 0; k < kept.length; k++) {
      const i = kept[k];
      if (lines.isNamed(i, name)) value = joined(value, lines.value(i));
      else kept[to++] = i;
    }
    kept.length = to;
    return value;
  };
  for (const { name, value } of modifier.set) {
    const lower = name.toLowerCase();
    if (NOT_MODIFIABLE.has(lower)) continue;
    const at = find(lower);
    if (at !== -1) list[at + 1] = value;
    else {
      takeClient(lower);
      list.push(lower, value);
    }
  }
  for (const { name, value } of modifier.add) {
    const lower = name.toLowerCase();
    if (NOT_MODIFIABLE.has(lower)) continue;
    const at = find(lower);
    // A bare comma, as `applyHeaderModifier` does (the spec's examples use it).
    if (at !== -1) list[at + 1] = `${list[at + 1]},${value}`;
    else {
      const existing = takeClient(lower);
      list.push(lower, existing === null ? value : `${existing},${value}`);
    }
  }
  for (const name of modifier.remove) {
    const lower = name.toLowerCase();
    if (NOT_MODIFIABLE.has(lower)) continue;
    const at = find(lower);
    if (at !== -1) list.splice(at, 2);
    else takeClient(lower);
  }
}
