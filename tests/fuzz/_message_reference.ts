/**
 * Reference framing for the request-path fuzzer, written plainly over
 * strings: where a strict server says each request of a client's bytes
 * ends (RFC 9112 §6.3), and the responses a gateway wrote, one after the
 * other, on a connection that then closed.
 * @module
 */

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// deno-lint-ignore no-control-regex -- control characters are what it refuses
const CTL = /[\x00-\x08\x0a-\x1f\x7f]/;

/** A field section, lower-case names; `undefined` when a line is malformed. */
function fields(lines: string[]): [string, string][] | undefined {
  const out: [string, string][] = [];
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon <= 0 || !TOKEN.test(line.slice(0, colon))) return undefined;
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, "");
    if (CTL.test(value)) return undefined;
    out.push([line.slice(0, colon).toLowerCase(), value]);
  }
  return out;
}

function values(list: [string, string][], name: string): string[] {
  return list.filter(([n]) => n === name).map(([, v]) => v);
}

/** A chunked body from `at`: the decoded body and where it ends, or `undefined`. */
function chunked(bytes: string, at: number): { body: string; next: number } | undefined {
  let body = "";
  for (;;) {
    const eol = bytes.indexOf("\r\n", at);
    if (eol === -1) return undefined;
    // deno-lint-ignore no-control-regex -- control characters are what it refuses
    const m = /^([0-9a-fA-F]{1,15})(?:[ \t]*;[^\x00-\x08\x0a-\x1f\x7f]*)?$/.exec(
      bytes.slice(at, eol),
    );
    if (m === null) return undefined;
    const size = parseInt(m[1], 16);
    at = eol + 2;
    if (size === 0) break;
    if (bytes.slice(at + size, at + size + 2) !== "\r\n") return undefined;
    body += bytes.slice(at, at + size);
    at += size + 2;
  }
  for (;;) {
    const eol = bytes.indexOf("\r\n", at);
    if (eol === -1) return undefined;
    const line = bytes.slice(at, eol);
    at = eol + 2;
    if (line === "") return { body, next: at };
  }
}

/** A request as a strict server frames it. */
export interface FramedRequest {
  method: string;
  target: string;
  body: string;
}

/**
 * Every request in `bytes` when each is valid and the last ends exactly at
 * the end; `undefined` when a strict server would refuse any of them, or
 * when the framing is ambiguous (both Content-Length and Transfer-Encoding).
 */
export function referenceRequests(bytes: string): FramedRequest[] | undefined {
  const out: FramedRequest[] = [];
  let at = 0;
  while (at < bytes.length) {
    const end = bytes.indexOf("\r\n\r\n", at);
    if (end === -1) return undefined;
    const lines = bytes.slice(at, end).split("\r\n");
    const m = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) ([\x21-\x7e]+) HTTP\/1\.[0-9]$/.exec(lines[0]);
    const list = fields(lines.slice(1));
    if (m === null || list === undefined) return undefined;
    if (values(list, "host").length !== 1) return undefined;
    at = end + 4;
    const lengths = values(list, "content-length");
    const codings = values(list, "transfer-encoding");
    if (lengths.length > 0 && codings.length > 0) return undefined;
    let body = "";
    if (codings.length > 0) {
      if (codings.join(",").replace(/[ \t]/g, "").toLowerCase() !== "chunked") return undefined;
      const framed = chunked(bytes, at);
      if (framed === undefined) return undefined;
      body = framed.body;
      at = framed.next;
    } else if (lengths.length > 0) {
      if (lengths.length > 1 || !/^[0-9]{1,15}$/.test(lengths[0])) return undefined;
      const length = Number(lengths[0]);
      if (bytes.length - at < length) return undefined;
      body = bytes.slice(at, at + length);
      at += length;
    }
    out.push({ method: m[1], target: m[2], body });
  }
  return out;
}

/** A response as the client read it. */
export interface ReadResponse {
  status: number;
  headers: [string, string][];
  body: string;
}

/**
 * The responses in `bytes` (a gateway's answers up to its close), or why
 * they are not well-formed HTTP/1.1. `noBody(i)` says response `i` answers a
 * HEAD request.
 */
export function readResponses(
  bytes: string,
  noBody: (i: number) => boolean,
): ReadResponse[] | string {
  const out: ReadResponse[] = [];
  let at = 0;
  while (at < bytes.length) {
    const end = bytes.indexOf("\r\n\r\n", at);
    if (end === -1) return `response ${out.length}: head without its end`;
    const lines = bytes.slice(at, end).split("\r\n");
    const m = /^HTTP\/1\.[01] ([1-5][0-9][0-9]) [^\r\n]*$/.exec(lines[0]);
    const list = fields(lines.slice(1));
    if (m === null) return `response ${out.length}: status line ${JSON.stringify(lines[0])}`;
    if (list === undefined) return `response ${out.length}: malformed field`;
    at = end + 4;
    const status = Number(m[1]);
    const lengths = values(list, "content-length");
    const codings = values(list, "transfer-encoding");
    let body = "";
    if (status < 200) continue;
    if (noBody(out.length) || status === 204 || status === 304) {
      // no body
    } else if (codings.length > 0) {
      const framed = chunked(bytes, at);
      if (framed === undefined || codings.join(",").toLowerCase() !== "chunked") {
        return `response ${out.length}: chunked body`;
      }
      body = framed.body;
      at = framed.next;
    } else if (lengths.length === 1 && /^[0-9]+$/.test(lengths[0])) {
      const length = Number(lengths[0]);
      if (bytes.length - at < length) return `response ${out.length}: body shorter than its length`;
      body = bytes.slice(at, at + length);
      at += length;
    } else if (lengths.length === 0) {
      body = bytes.slice(at);
      at = bytes.length;
    } else {
      return `response ${out.length}: Content-Length ${JSON.stringify(lengths)}`;
    }
    out.push({ status, headers: list, body });
  }
  return out;
}
