/**
 * HTTP/2 header lists to and from `Request`/`Response` headers, with the
 * checks of RFC 9113 §8.2–§8.3: a request whose header list breaks them is
 * malformed, and the stream is reset with PROTOCOL_ERROR (§8.1.1) instead of
 * reaching the handler.
 *
 * @example
 * ```ts
 * import { parseRequestHead } from "./h2_headers.ts";
 * const head = parseRequestHead([[":method", "GET"], [":scheme", "http"], [":path", "/"],
 *   [":authority", "example.com"]]);
 * console.log(typeof head === "string" ? head : head.path); // "/"
 * ```
 * @module
 */
import { checkField } from "./hpack_fields.ts";
import { mayBeTrailer } from "../response_trailers.ts";
import { httpDate } from "../http_date.ts";

/** Connection-specific fields HTTP/2 forbids (RFC 9113 §8.2.2). */
export const CONNECTION_SPECIFIC: ReadonlySet<string> = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
]);

/** A validated request head. */
export interface RequestHead {
  method: string;
  path: string;
  authority: string | undefined;
  /** Regular fields, lower-case, checked, `cookie` fields joined into one (§8.2.3). */
  fields: [string, string][];
  /** The `content-length` the client declared, if any. */
  contentLength: number | undefined;
}

/**
 * Whether a `Host` field and `:authority` name the same origin (RFC 9113
 * §8.3.1: a server should treat a request whose `Host` names another as
 * malformed). Case does not count, nor a port that is the scheme's default
 * on one side and absent on the other. Several `Host` fields (joined with
 * `, `) never match. The router takes the `Host` field and the 421 gate of
 * an HTTPS port the same; refusing the mismatch keeps a request from naming
 * one host to the connection and another to the routes.
 */
function sameAuthority(host: string, authority: string, scheme: string): boolean {
  if (host === authority) return true;
  const defaultPort = scheme === "https" ? ":443" : scheme === "http" ? ":80" : "";
  const canonical = (value: string) => {
    const lower = value.toLowerCase();
    return defaultPort !== "" && lower.endsWith(defaultPort)
      ? lower.slice(0, -defaultPort.length)
      : lower;
  };
  return canonical(host) === canonical(authority);
}

/** The rules of §8.2.2 for a regular field whose name and value passed `checkField` (§8.2.1). */
function connectionRules(name: string, value: string): string | undefined {
  if (CONNECTION_SPECIFIC.has(name)) return `connection-specific field ${name}`;
  if (name === "te" && value !== "trailers") return "te other than trailers";
  return undefined;
}

// The name and value rules of §8.2.1 (`checkField`), then those of §8.2.2.
function regularField(name: string, value: string): string | undefined {
  return checkField(name, value) ?? connectionRules(name, value);
}

/**
 * The request head of a header list as the HPACK decoder returns it (every
 * field already held to the name and value rules of §8.2.1, `checkField`),
 * or why it is malformed. Cookie fields are joined with `; ` (§8.2.3).
 */
export function parseRequestHead(fields: [string, string][]): RequestHead | string {
  let method: string | undefined;
  let scheme: string | undefined;
  let path: string | undefined;
  let pseudoAuthority: string | undefined;
  const regularFields: [string, string][] = [];
  let cookie: string | undefined;
  let host: string | undefined;
  let declared: string | undefined;
  let regular = false;
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i];
    const name = field[0];
    const value = field[1];
    if (name.charCodeAt(0) === 0x3a) {
      if (regular) return "pseudo-header after a regular field";
      if (name === ":method") {
        if (method !== undefined) return `duplicate pseudo-header ${name}`;
        method = value;
      } else if (name === ":path") {
        if (path !== undefined) return `duplicate pseudo-header ${name}`;
        path = value;
      } else if (name === ":scheme") {
        if (scheme !== undefined) return `duplicate pseudo-header ${name}`;
        scheme = value;
      } else if (name === ":authority") {
        if (pseudoAuthority !== undefined) return `duplicate pseudo-header ${name}`;
        pseudoAuthority = value;
      } else return `unknown pseudo-header ${name}`;
      continue;
    }
    regular = true;
    const problem = connectionRules(name, value);
    if (problem !== undefined) return problem;
    if (name === "cookie") {
      cookie = cookie === undefined ? value : `${cookie}; ${value}`;
      continue;
    }
    if (name === "host") host = host === undefined ? value : `${host}, ${value}`;
    else if (name === "content-length") {
      declared = declared === undefined ? value : `${declared}, ${value}`;
    }
    regularFields.push(field);
  }
  if (cookie !== undefined) regularFields.push(["cookie", cookie]);
  if (method === undefined || method === "") return "missing :method";
  if (method === "CONNECT") return "CONNECT is not supported";
  if (scheme === undefined) return "missing :scheme";
  if (path === undefined || path.charCodeAt(0) !== 0x2f) return "missing or invalid :path";
  if (
    host !== undefined && pseudoAuthority !== undefined &&
    !sameAuthority(host, pseudoAuthority, scheme)
  ) return "host field differs from :authority";
  const authority = pseudoAuthority ?? host;
  let contentLength: number | undefined;
  if (declared !== undefined) {
    if (!/^[0-9]{1,15}$/.test(declared)) return "invalid content-length";
    contentLength = Number(declared);
  }
  return { method, path, authority, fields: regularFields, contentLength };
}

/** The fields of `head` as `Headers`, for a `Request`; throws on a value `Headers` refuses. */
export function headersOf(head: RequestHead): Headers {
  const headers = new Headers();
  for (const [name, value] of head.fields) headers.append(name, value);
  return headers;
}

/** Whether a trailer list is acceptable (no pseudo-headers, valid fields, §8.1). */
export function validTrailers(fields: [string, string][]): boolean {
  return fields.every(([name, value]) =>
    !name.startsWith(":") && regularField(name, value) === undefined
  );
}

/**
 * The header list of a response: `:status` first, forbidden fields left
 * out, a `date` added when it has none (RFC 9110 §6.6.1).
 */
export function responseFields(response: Response): [string, string][] {
  const out: [string, string][] = [[":status", String(response.status)]];
  let dated = false;
  for (const [name, value] of response.headers) {
    if (CONNECTION_SPECIFIC.has(name) || name === "set-cookie") continue;
    if (name === "date") dated = true;
    out.push([name, value]);
  }
  for (const cookie of response.headers.getSetCookie()) out.push(["set-cookie", cookie]);
  if (!dated) out.push(["date", httpDate()]);
  return out;
}

/** `:status` pairs by code (at most 900: 100-999), made once each: the encoder only reads them. */
const STATUS_PAIRS = new Map<number, [string, string]>();
/** The last `content-length` and `date` pairs made, for the next answer of the same length and second. */
let lengthPair: [string, string] = ["content-length", "0"];
let lengthOfPair = 0;
let datePair: [string, string] = ["date", ""];
/** The list {@linkcode upstreamFields} fills anew on each call. */
const upstreamList: [string, string][] = [];

/**
 * The header list of a backend's response as it came (the fast path's
 * `UpstreamResponse`, hop-by-hop fields already gone): `:status`, its fields
 * but the forbidden ones, `content-length` when known, a `date` when it has
 * none. The list and its added pairs are shared: valid until the next call,
 * for a caller that encodes them at once (`sendHeaders` does), so an answer
 * like the last allocates nothing here.
 */
export function upstreamFields(
  status: number,
  headers: readonly [string, string][],
  contentLength: number | null,
): [string, string][] {
  // Written by index and cut to length at the end: emptying it first would
  // drop its backing store, and the pushes would allocate one again.
  const out = upstreamList;
  let n = 0;
  let statusPair = STATUS_PAIRS.get(status);
  if (statusPair === undefined) {
    statusPair = [":status", String(status)];
    if (status >= 100 && status <= 999) STATUS_PAIRS.set(status, statusPair);
  }
  out[n++] = statusPair;
  let dated = false;
  for (let i = 0; i < headers.length; i++) {
    const name = headers[i][0];
    if (CONNECTION_SPECIFIC.has(name)) continue;
    if (name === "date") dated = true;
    out[n++] = headers[i];
  }
  if (contentLength !== null) {
    if (contentLength !== lengthOfPair) {
      lengthPair = ["content-length", String(contentLength)];
      lengthOfPair = contentLength;
    }
    out[n++] = lengthPair;
  }
  if (!dated) {
    const date = httpDate();
    if (date !== datePair[1]) datePair = ["date", date];
    out[n++] = datePair;
  }
  out.length = n;
  return out;
}

/**
 * The header list of trailers, pseudo-headers and fields a trailer section
 * must not carry (`mayBeTrailer`: framing, routing, connection control) left out.
 */
export function trailerFields(trailers: [string, string][]): [string, string][] {
  return trailers
    .map(([name, value]) => [name.toLowerCase(), value] as [string, string])
    .filter(([name]) =>
      !name.startsWith(":") && !CONNECTION_SPECIFIC.has(name) && mayBeTrailer(name)
    );
}
