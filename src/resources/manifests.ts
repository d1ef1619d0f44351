/**
 * Splits a manifest file into its objects: multi-document YAML (`---`), JSON
 * (YAML 1.2 reads it as is), and `kind: List` documents (what `kubectl get -o
 * yaml` prints), whose `items` become objects of their own. Each object keeps
 * where it came from (document index, line) so problems can point at it; a
 * syntax error spoils only its own document and reports file, document and
 * line.
 *
 * @example
 * ```ts
 * import { parseManifests } from "./manifests.ts";
 * const { documents, errors } = parseManifests("kind: A\n---\nkind: [\n", "demo.yaml");
 * documents[0]; // { index: 0, line: 1, path: "doc[0]", value: { kind: "A" } }
 * errors[0].line; // 3 or 4: where the parser noticed the unclosed list
 * ```
 * @module
 */
import { errorMessage } from "../log/error_message.ts";
import { type Document, isMap, isSeq, LineCounter, parseAllDocuments } from "yaml";

/** One object read from a manifest file. */
export interface ManifestDocument {
  /** 0-based index of the YAML document in the file. */
  index: number;
  /** 0-based index in the `items` of a List document; absent otherwise. */
  item?: number;
  /** 1-based line where the object starts. */
  line: number;
  /** Where the object is, as a field path prefix: `doc[2]` or `doc[2].items[0]`. */
  path: string;
  /** The parsed value; not validated. */
  value: unknown;
}

/** A YAML/JSON syntax error. */
export interface ManifestSyntaxError {
  /** The `source` given to {@linkcode parseManifests}, usually the file path. */
  source: string;
  /** 0-based index of the document the error is in. */
  index: number;
  /** 1-based line and column of the error. */
  line: number;
  column: number;
  /** The parser's message, on one line. */
  message: string;
}

/** The result of {@linkcode parseManifests}. */
export interface ParsedManifests {
  documents: ManifestDocument[];
  errors: ManifestSyntaxError[];
}

// Alias expansion is how a small YAML file becomes a huge value ("billion
// laughs"); manifests have no need for many aliases.
const MAX_ALIAS_COUNT = 100;

function oneLine(message: string): string {
  // The parser appends " at line L, column C:" and a source excerpt; the
  // position is reported separately.
  return message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "").trim();
}

function isList(value: unknown): value is { kind: string; items: unknown[] } {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const { kind, items } = value as Record<string, unknown>;
  return typeof kind === "string" && kind.endsWith("List") && Array.isArray(items);
}

function itemLines(doc: Document, lines: LineCounter): number[] {
  const items = isMap(doc.contents) ? doc.contents.get("items", true) : undefined;
  if (!isSeq(items)) return [];
  return items.items.map((node) => {
    const start = (node as { range?: [number, number, number] }).range?.[0];
    return start === undefined ? 0 : lines.linePos(start).line;
  });
}

/** Parses `text` (the contents of `source`) into objects and syntax errors. */
export function parseManifests(text: string, source: string): ParsedManifests {
  const lines = new LineCounter();
  const documents: ManifestDocument[] = [];
  const errors: ManifestSyntaxError[] = [];
  // logLevel "error": the library's warnings (a map used as a key, say) would
  // go to stderr through process.emitWarning, past the structured logger.
  const parsed = parseAllDocuments(text, {
    lineCounter: lines,
    prettyErrors: true,
    logLevel: "error",
  });
  // An empty input gives an empty list-like result rather than documents.
  const docs = Array.isArray(parsed) ? parsed : [];
  docs.forEach((doc, index) => {
    const start = doc.contents?.range?.[0] ?? doc.range[0];
    const line = lines.linePos(start).line;
    if (doc.errors.length > 0) {
      for (const e of doc.errors) {
        const pos = e.linePos?.[0] ?? lines.linePos(e.pos[0]);
        errors.push({
          source,
          index,
          line: pos.line,
          column: pos.col,
          message: oneLine(e.message),
        });
      }
      return;
    }
    if (doc.contents === null) return; // an empty document or only comments
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (err) {
      const message = errorMessage(err);
      errors.push({ source, index, line, column: 1, message: oneLine(message) });
      return;
    }
    if (value === null || value === undefined) return;
    if (isList(value)) {
      const starts = itemLines(doc, lines);
      value.items.forEach((item, i) => {
        documents.push({
          index,
          item: i,
          line: starts[i] || line,
          path: `doc[${index}].items[${i}]`,
          value: item,
        });
      });
      return;
    }
    documents.push({ index, line, path: `doc[${index}]`, value });
  });
  return { documents, errors };
}
