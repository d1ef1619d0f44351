/**
 * A reference model of HTTP/1.1 response framing (RFC 9112 §6), written
 * plainly over strings so it is easy to read against the spec: given the
 * bytes an upstream sends and then a close, does a strict client accept a
 * response, with which status and body, and may the connection carry
 * another request afterwards? The fuzzers compare the gateway's client with
 * it. It is deliberately slow and obvious, not fast.
 * @module
 */

/** What a strict client makes of an upstream's bytes followed by a close. */
export type ReferenceResult =
  | { kind: "reject"; reason: string }
  | {
    kind: "ok";
    status: number;
    body: string;
    /** Framed by length or chunks, keep-alive, and nothing after the message. */
    reusable: boolean;
  }
  /** Depends on how the bytes are split into reads (lines past the reader's limits). */
  | { kind: "either"; reason: string };

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// deno-lint-ignore no-control-regex -- control characters are what it refuses
const CTL = /[\x00-\x08\x0a-\x1f\x7f]/;
const MAX_HEAD = 64 * 1024;
const MAX_LINE = 4096;

interface Head {
  status: number;
  minor: number;
  fields: [string, string][];
}

function reject(reason: string): ReferenceResult {
  return { kind: "reject", reason };
}

function parseHead(text: string): Head | string {
  const lines = text.split("\r\n");
  const m = /^HTTP\/1\.([01]) ([1-9][0-9][0-9])(?: |$)/.exec(lines[0]);
  if (m === null) return "status line";
  const fields: [string, string][] = [];
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon <= 0 || !TOKEN.test(line.slice(0, colon))) return "field name";
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, "");
    if (CTL.test(value)) return "field value";
    fields.push([line.slice(0, colon).toLowerCase(), value]);
  }
  return { status: Number(m[2]), minor: Number(m[1]), fields };
}

function listOf(head: Head, name: string): string[] | undefined {
  const values = head.fields.filter(([n]) => n === name).map(([, v]) => v);
  if (values.length === 0) return undefined;
  return values.join(",").split(",").map((v) => v.replace(/^[ \t]+|[ \t]+$/g, "").toLowerCase());
}

/**
 * The reference framing of `bytes` (latin-1) answering a request with
 * `method`, when the upstream closes the connection after sending them.
 */
export function referenceResponse(bytes: string, method: string): ReferenceResult {
  let at = 0;
  for (;;) {
    const end = bytes.indexOf("\r\n\r\n", at);
    if (end === -1) return reject(at === bytes.length ? "closed before a response" : "head cut");
    if (end - at > MAX_HEAD) return reject("head too large");
    const head = parseHead(bytes.slice(at, end));
    if (typeof head === "string") return reject(head);
    at = end + 4;
    if (head.status === 101) return reject("unrequested upgrade");
    // An interim head's framing fields mean nothing, but a malformed one is still refused.
    if (head.status < 200) {
      if (typeof contentLength(head) === "string") return reject("content-length");
      continue;
    }
    return framedBody(bytes, at, head, method);
  }
}

/** The Content-Length (`-1`: none), or why it is malformed. */
function contentLength(head: Head): number | string {
  let length = -1;
  for (const value of listOf(head, "content-length") ?? []) {
    if (!/^[0-9]{1,15}$/.test(value)) return "content-length";
    if (length !== -1 && Number(value) !== length) return "content-length conflict";
    length = Number(value);
  }
  return length;
}

function framedBody(bytes: string, at: number, head: Head, method: string): ReferenceResult {
  const lengths = listOf(head, "content-length");
  const length = contentLength(head);
  if (typeof length === "string") return reject(length);
  const codings = listOf(head, "transfer-encoding");
  const connection = listOf(head, "connection") ?? [];
  let keepAlive = head.minor === 1
    ? !connection.includes("close")
    : connection.includes("keep-alive");
  if (codings !== undefined && lengths !== undefined) keepAlive = false;
  const end = (body: string, next: number, delimited: boolean): ReferenceResult => ({
    kind: "ok",
    status: head.status,
    body,
    reusable: delimited && keepAlive && next === bytes.length,
  });
  if (method === "HEAD" || head.status === 204 || head.status === 304) return end("", at, true);
  if (codings !== undefined) {
    if (codings[codings.length - 1] !== "chunked") return end(bytes.slice(at), -1, false);
    return chunked(bytes, at, end);
  }
  if (length >= 0) {
    if (bytes.length - at < length) return reject("body cut");
    return end(bytes.slice(at, at + length), at + length, true);
  }
  return end(bytes.slice(at), -1, false);
}

function chunked(
  bytes: string,
  at: number,
  end: (body: string, next: number, delimited: boolean) => ReferenceResult,
): ReferenceResult {
  let body = "";
  for (;;) {
    const eol = bytes.indexOf("\r\n", at);
    if (eol === -1) {
      return bytes.length - at > MAX_LINE ? { kind: "either", reason: "long line" } : reject("cut");
    }
    if (eol - at > MAX_LINE) return { kind: "either", reason: "long line" };
    // deno-lint-ignore no-control-regex -- control characters are what it refuses
    const m = /^([0-9a-fA-F]{1,15})(?:[ \t]*;[^\x00-\x08\x0a-\x1f\x7f]*)?$/.exec(
      bytes.slice(at, eol),
    );
    if (m === null) return reject("chunk size");
    const size = parseInt(m[1], 16);
    at = eol + 2;
    if (size === 0) break;
    if (bytes.length - at < size + 2) return reject("chunk cut");
    if (bytes.slice(at + size, at + size + 2) !== "\r\n") return reject("chunk end");
    body += bytes.slice(at, at + size);
    at += size + 2;
  }
  // Trailer fields are read and dropped: only where they end matters.
  for (let lines = 0;; lines++) {
    const eol = bytes.indexOf("\r\n", at);
    if (eol === -1) return reject("trailers cut");
    if (eol - at > MAX_LINE) return { kind: "either", reason: "long line" };
    if (lines >= 100) return reject("too many trailers");
    const line = bytes.slice(at, eol);
    at = eol + 2;
    if (line === "") return end(body, at, true);
  }
}
