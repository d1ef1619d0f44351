/**
 * Mutators of HTTP/1.1 messages, as latin-1 strings (one character a byte):
 * blind byte edits and edits that know where the framing lives (CRLFs,
 * header names and values, Content-Length, Transfer-Encoding, chunk sizes,
 * obs-fold, pipelining), because blind flips rarely reach the framing code.
 * @module
 */
import type { Prng } from "./_prng.ts";
import {
  CHUNK_SIZES,
  CONTENT_LENGTHS,
  INSERTS,
  NAMES,
  TRANSFER_ENCODINGS,
  VALUES,
} from "./_mutation_values.ts";

/** One edit of a message. */
export type Mutator = (message: string, rng: Prng) => string;

function splice(text: string, at: number, remove: number, insert: string): string {
  return text.slice(0, at) + insert + text.slice(at + remove);
}

/** Start offsets of the header lines (after the start line, before the empty line). */
function headerLines(message: string): { start: number; end: number }[] {
  const headEnd = message.indexOf("\r\n\r\n");
  const limit = headEnd === -1 ? message.length : headEnd;
  const lines: { start: number; end: number }[] = [];
  let at = message.indexOf("\r\n");
  while (at !== -1 && at < limit) {
    const next = message.indexOf("\r\n", at + 2);
    const end = next === -1 || next > limit ? limit : next;
    if (end > at + 2) lines.push({ start: at + 2, end });
    at = next;
  }
  return lines;
}

function setHeader(message: string, rng: Prng, name: string, value: string): string {
  const lines = headerLines(message).filter((l) =>
    message.slice(l.start, l.end).toLowerCase().startsWith(name.toLowerCase() + ":")
  );
  if (lines.length > 0 && rng.chance(0.6)) {
    const l = rng.pick(lines);
    return splice(message, l.start, l.end - l.start, `${name}: ${value}`);
  }
  const first = message.indexOf("\r\n");
  if (first === -1) return message;
  return splice(message, first + 2, 0, `${name}: ${value}\r\n`);
}

const flipByte: Mutator = (m, rng) => {
  if (m.length === 0) return m;
  const at = rng.int(m.length);
  return splice(m, at, 1, String.fromCharCode((m.charCodeAt(at) ^ (1 << rng.int(8))) & 0xff));
};
const randomByte: Mutator = (m, rng) =>
  splice(m, rng.int(m.length + 1), rng.int(2), String.fromCharCode(rng.int(256)));
const insertToken: Mutator = (m, rng) => splice(m, rng.int(m.length + 1), 0, rng.pick(INSERTS));
const deleteRange: Mutator = (m, rng) => {
  const at = rng.int(m.length + 1);
  return splice(m, at, rng.range(1, 8), "");
};
const duplicateRange: Mutator = (m, rng) => {
  const at = rng.int(m.length + 1);
  return splice(m, at, 0, m.slice(at, at + rng.range(1, 24)));
};
const crlfs: Mutator = (m, rng) => {
  const positions: number[] = [];
  for (let i = m.indexOf("\r\n"); i !== -1; i = m.indexOf("\r\n", i + 2)) positions.push(i);
  if (positions.length === 0) return m;
  const at = rng.pick(positions);
  return splice(m, at, 2, rng.pick(["", "\n", "\r", "\r\n\r\n", "\n\r\n", "\r\r\n", "\r\n \r\n"]));
};
const headerName: Mutator = (m, rng) => {
  const lines = headerLines(m);
  if (lines.length === 0) return setHeader(m, rng, rng.pick(NAMES), rng.pick(VALUES));
  const l = rng.pick(lines);
  const line = m.slice(l.start, l.end);
  const colon = line.indexOf(":");
  const name = colon === -1 ? line : line.slice(0, colon);
  const edits = [
    name.toUpperCase(),
    name + " ",
    " " + name,
    name + "\t",
    rng.pick(NAMES),
    "",
    name + "\x00",
    name.slice(0, -1),
  ];
  return splice(m, l.start, name.length, rng.pick(edits));
};
const headerValue: Mutator = (m, rng) => setHeader(m, rng, rng.pick(NAMES), rng.pick(VALUES));
const removeHeader: Mutator = (m, rng) => {
  const lines = headerLines(m);
  if (lines.length === 0) return m;
  const l = rng.pick(lines);
  return splice(m, l.start - 2, l.end - l.start + 2, "");
};
const duplicateHeader: Mutator = (m, rng) => {
  const lines = headerLines(m);
  if (lines.length === 0) return m;
  const l = rng.pick(lines);
  return splice(m, l.end, 0, "\r\n" + m.slice(l.start, l.end));
};
const contentLength: Mutator = (m, rng) => {
  const value = rng.chance(0.3) ? String(rng.int(64)) : rng.pick(CONTENT_LENGTHS);
  const edited = setHeader(m, rng, rng.pick(["Content-Length", "content-length"]), value);
  return rng.chance(0.2)
    ? setHeader(edited, rng, "Content-Length", rng.pick(CONTENT_LENGTHS))
    : edited;
};
const transferEncoding: Mutator = (m, rng) =>
  setHeader(
    m,
    rng,
    rng.pick(["Transfer-Encoding", "transfer-encoding"]),
    rng.pick(TRANSFER_ENCODINGS),
  );
const chunkSize: Mutator = (m, rng) => {
  const body = m.indexOf("\r\n\r\n");
  if (body === -1) return m;
  // A chunk-size line is a short line of hex digits after the head.
  const lines: number[] = [];
  for (let i = body + 4; i < m.length; i = m.indexOf("\r\n", i) + 2) {
    const end = m.indexOf("\r\n", i);
    if (end === -1) break;
    if (/^[0-9a-fA-F]+(;.*)?$/.test(m.slice(i, end))) lines.push(i);
  }
  if (lines.length === 0) return splice(m, body + 4, 0, rng.pick(CHUNK_SIZES) + "\r\n");
  const at = rng.pick(lines);
  return splice(m, at, m.indexOf("\r\n", at) - at, rng.pick(CHUNK_SIZES));
};
const obsFold: Mutator = (m, rng) => {
  const lines = headerLines(m);
  if (lines.length === 0) return m;
  const l = rng.pick(lines);
  return splice(m, l.end, 0, rng.pick(["\r\n x", "\r\n\tchunked", "\r\n ", "\n x"]));
};
const nonAscii: Mutator = (m, rng) =>
  splice(
    m,
    rng.int(m.length + 1),
    0,
    rng.pick(["\u00e9", "\u00c3\u00a9", "\u00ff", "\u0085", "\u00a0"]),
  );
const truncate: Mutator = (m, rng) => m.slice(0, rng.int(m.length + 1));
const startLine: Mutator = (m, rng) => {
  const end = m.indexOf("\r\n");
  if (end === -1) return m;
  const parts = m.slice(0, end).split(" ");
  const i = rng.int(parts.length);
  parts[i] = rng.pick([
    "",
    "HTTP/1.0",
    "HTTP/1.2",
    "HTTP/2.0",
    "http/1.1",
    "999",
    "099",
    "20",
    "2000",
    "GET",
    "get",
    "/",
    "*",
    "http://x/",
    "/a b",
    "/\u00ff",
    "%",
    "OK\x00",
  ]);
  return splice(m, 0, end, parts.join(rng.chance(0.8) ? " " : rng.pick(["  ", "\t"])));
};

/** Every mutator, with names for reports. */
export const MUTATORS: readonly (readonly [string, Mutator])[] = [
  ["flipByte", flipByte],
  ["randomByte", randomByte],
  ["insertToken", insertToken],
  ["deleteRange", deleteRange],
  ["duplicateRange", duplicateRange],
  ["crlfs", crlfs],
  ["headerName", headerName],
  ["headerValue", headerValue],
  ["removeHeader", removeHeader],
  ["duplicateHeader", duplicateHeader],
  ["contentLength", contentLength],
  ["transferEncoding", transferEncoding],
  ["chunkSize", chunkSize],
  ["obsFold", obsFold],
  ["nonAscii", nonAscii],
  ["truncate", truncate],
  ["startLine", startLine],
];

/**
 * Applies one to four random mutations to `message`; `pipeline` (when given)
 * is sometimes appended, so a second message follows on the same connection.
 */
export function mutate(message: string, rng: Prng, pipeline?: readonly string[]): string {
  let out = message;
  // Mostly one edit, so many cases stay close enough to valid to reach the framing code.
  const count = rng.chance(0.5) ? 1 : rng.range(2, 4);
  for (let i = 0; i < count; i++) {
    const [, mutator] = rng.pick(MUTATORS);
    // Truncation throws away most of the message: keep it rare.
    if (mutator === truncate && !rng.chance(0.3)) continue;
    out = mutator(out, rng);
  }
  if (pipeline !== undefined && pipeline.length > 0 && rng.chance(0.1)) out += rng.pick(pipeline);
  // Case changes can leave latin-1 ("\u00ff".toUpperCase() is U+0178): keep one byte a character.
  // deno-lint-ignore no-control-regex
  return out.replace(/[^\x00-\xff]/g, (c) => String.fromCharCode(c.charCodeAt(0) & 0xff));
}
