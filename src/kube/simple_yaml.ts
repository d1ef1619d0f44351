/**
 * A reader for the plain YAML that kubeconfig files are written in (kubectl,
 * client-go and most tools write block mappings and sequences of plain or
 * quoted scalars), so that reading one does not load the `yaml` package: that
 * package is CommonJS and brings Node's module loader up with it, a sizeable
 * part of start-up before the first request to the API server.
 *
 * It reads a subset and knows where the subset ends: anything past it
 * (anchors, aliases, tags, block scalars, several documents, flow
 * collections with content other than plain scalars, tabs, scalars whose
 * type it would have to guess) returns `undefined`, and the caller parses
 * the text with the `yaml` package instead. Where it returns a value, it is
 * the value that package returns (tests compare the two).
 *
 * @example
 * ```ts
 * import { parseSimpleYaml } from "./simple_yaml.ts";
 * parseSimpleYaml("clusters:\n- name: a\n  cluster: { server: https://x }\n");
 * // { clusters: [{ name: "a", cluster: { server: "https://x" } }] }
 * parseSimpleYaml("a: &x 1\nb: *x\n"); // undefined: anchors are past the subset
 * ```
 * @module
 */

/** One meaningful line: its indent and its text without the indent and comment. */
interface Line {
  indent: number;
  text: string;
}

/** Thrown inside the reader when the text leaves the subset; never escapes. */
class OutsideSubset extends Error {}

const outside = (): never => {
  throw new OutsideSubset();
};

/** Parses `text` if it stays within the subset (see the module doc), else `undefined`. */
export function parseSimpleYaml(text: string): unknown {
  try {
    const lines = meaningfulLines(text);
    if (lines.length === 0) return outside();
    const reader = { lines, at: 0 };
    const value = readBlock(reader, lines[0].indent);
    return reader.at === lines.length ? value : outside();
  } catch (error) {
    if (error instanceof OutsideSubset) return undefined;
    throw error;
  }
}

function meaningfulLines(text: string): Line[] {
  const lines: Line[] = [];
  for (const raw of text.split(/\r?\n/)) {
    if (raw.includes("\t")) outside();
    const body = stripComment(raw).trimEnd();
    const trimmed = body.trimStart();
    if (trimmed === "") continue;
    if (trimmed.startsWith("---") || trimmed.startsWith("...") || trimmed.startsWith("%")) {
      outside();
    }
    lines.push({ indent: body.length - trimmed.length, text: trimmed });
  }
  return lines;
}

/** The line without a comment: `#` at its start or after a space, outside quotes. */
function stripComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote !== undefined) {
      if (c === "\\" && quote === '"') i++;
      else if (c === "'" && quote === "'" && line[i + 1] === "'") i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") {
      // A quote opens a quoted scalar only where one may start; elsewhere it is text.
      if (i === 0 || /[\s:\-[{,]/.test(line[i - 1])) quote = c;
    } else if (c === "#" && (i === 0 || line[i - 1] === " ")) {
      return line.slice(0, i);
    }
  }
  return quote === undefined ? line : outside();
}

interface Reader {
  lines: Line[];
  at: number;
}

/** The mapping or sequence whose lines start at `indent`. */
function readBlock(reader: Reader, indent: number): unknown {
  const first = reader.lines[reader.at];
  if (first.indent !== indent) return outside();
  return isSequenceItem(first.text) ? readSequence(reader, indent) : readMapping(reader, indent);
}

const isSequenceItem = (text: string) => text === "-" || text.startsWith("- ");

function readSequence(reader: Reader, indent: number): unknown[] {
  const items: unknown[] = [];
  while (reader.at < reader.lines.length) {
    const line = reader.lines[reader.at];
    // A line at this indent that is no item ends a sequence that was a mapping's value.
    if (line.indent < indent || (line.indent === indent && !isSequenceItem(line.text))) break;
    if (line.indent > indent) return outside();
    const rest = line.text.slice(1).trimStart();
    if (rest === "") {
      reader.at++;
      items.push(readNested(reader, indent));
    } else if (keyOf(rest) !== undefined || isSequenceItem(rest)) {
      // `- name: a` opens a mapping whose keys line up with `name`.
      const inner = indent + (line.text.length - rest.length);
      reader.lines[reader.at] = { indent: inner, text: rest };
      items.push(readBlock(reader, inner));
    } else {
      reader.at++;
      items.push(scalarOrFlow(rest));
    }
  }
  return items;
}

function readMapping(reader: Reader, indent: number): Record<string, unknown> {
  const map: Record<string, unknown> = {};
  while (reader.at < reader.lines.length) {
    const line = reader.lines[reader.at];
    if (line.indent < indent) break;
    if (line.indent > indent) return outside();
    const entry = keyOf(line.text);
    if (entry === undefined || Object.hasOwn(map, entry.key) || entry.key === "__proto__") {
      return outside();
    }
    reader.at++;
    if (entry.rest !== "") {
      map[entry.key] = scalarOrFlow(entry.rest);
      continue;
    }
    const next = reader.lines[reader.at];
    // A sequence may sit at its key's own indent (`clusters:` then `- name: a`).
    map[entry.key] = next !== undefined && next.indent === indent && isSequenceItem(next.text)
      ? readSequence(reader, indent)
      : readNested(reader, indent);
  }
  return map;
}

/** What follows a key or dash with nothing after it: a deeper block, or null. */
function readNested(reader: Reader, indent: number): unknown {
  const next = reader.lines[reader.at];
  if (next === undefined || next.indent <= indent) return null;
  return readBlock(reader, next.indent);
}

/** `key: rest` (rest may be empty), or undefined when the text is no mapping entry. */
function keyOf(text: string): { key: string; rest: string } | undefined {
  let end: number;
  let key: string;
  if (text.startsWith('"') || text.startsWith("'")) {
    end = closingQuote(text, 0);
    key = String(quoted(text.slice(0, end + 1)));
    end++;
  } else {
    end = text.search(/:(\s|$)/);
    if (end <= 0) return undefined;
    key = text.slice(0, end);
    if (!isPlainKey(key)) return outside();
  }
  if (text[end] !== ":" || (end + 1 < text.length && text[end + 1] !== " ")) return undefined;
  return { key, rest: text.slice(end + 1).trim() };
}

const isPlainKey = (key: string) => /^[A-Za-z0-9_.\/-][A-Za-z0-9_.\/ -]*$/.test(key);

function closingQuote(text: string, start: number): number {
  const q = text[start];
  for (let i = start + 1; i < text.length; i++) {
    if (q === '"' && text[i] === "\\") i++;
    else if (text[i] === q) {
      if (q === "'" && text[i + 1] === "'") i++;
      else return i;
    }
  }
  return outside();
}

/** A scalar, or a flow mapping of plain scalars (`{ cluster: a, user: b }`), or `[]`/`{}`. */
function scalarOrFlow(text: string): unknown {
  if (text === "[]") return [];
  if (text === "{}") return {};
  if (text.startsWith("{") && text.endsWith("}")) return flowMapping(text.slice(1, -1));
  return scalar(text);
}

function flowMapping(body: string): Record<string, unknown> {
  const map: Record<string, unknown> = {};
  for (const part of body.split(",")) {
    const entry = keyOf(part.trim());
    if (entry === undefined || entry.rest === "" || Object.hasOwn(map, entry.key)) outside();
    if (entry!.key === "__proto__" || /["'{}[\]]/.test(entry!.rest)) outside();
    map[entry!.key] = scalar(entry!.rest);
  }
  return map;
}

/** A plain or quoted scalar, typed as the YAML 1.2 core schema types it. */
function scalar(text: string): unknown {
  if (text.startsWith('"') || text.startsWith("'")) {
    if (closingQuote(text, 0) !== text.length - 1) return outside();
    return quoted(text);
  }
  if (/^[[\]{}&*!|>%@`,?]/.test(text) || text.includes(": ") || text.endsWith(":")) {
    return outside();
  }
  if (/^(true|True|TRUE)$/.test(text)) return true;
  if (/^(false|False|FALSE)$/.test(text)) return false;
  if (/^(null|Null|NULL|~)$/.test(text)) return null;
  if (/^[-+]?(0|[1-9][0-9]{0,14})$/.test(text)) return Number(text);
  // `--flag` is text; other numbers (floats, octal, hex, .inf) and whatever
  // starts like one are for the package to type.
  if (/^-[A-Za-z-]/.test(text)) return text;
  return /^[-+.0-9]/.test(text) ? outside() : text;
}

const ESCAPES: Record<string, string> = {
  '"': '"',
  "\\": "\\",
  "/": "/",
  n: "\n",
  t: "\t",
  r: "\r",
  "0": "\0",
};

function quoted(text: string): string {
  const body = text.slice(1, -1);
  if (text[0] === "'") return body.replaceAll("''", "'");
  return body.replace(/\\(.)/g, (_, c: string) => ESCAPES[c] ?? outside());
}
