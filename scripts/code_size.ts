/**
 * A `deno lint` plugin that keeps `src/` readable in pieces: a file of more
 * than {@linkcode MAX_FILE_LINES} lines, or a function of more than
 * {@linkcode MAX_FUNCTION_LINES} lines of code, is a lint error. `deno task
 * check` runs it through `deno lint` (see `deno.json`); `tests/gate.test.ts`
 * tests the rules on made-up sources.
 *
 * A file counts every line. A function counts the lines from its first to
 * its last that hold code: blank lines and lines holding only comments are
 * not counted, and a function nested in another counts toward both (it is
 * part of the outer one's text). Methods, arrow functions and function
 * expressions count like declarations.
 *
 * @example
 * ```ts
 * import plugin, { SRC_DIR } from "./code_size.ts";
 * const problems = Deno.lint.runPlugin(plugin, `${SRC_DIR}a.ts`, "const a = 1;\n");
 * console.log(problems.length); // 0
 * ```
 * @module
 */
import { fileURLToPath } from "node:url";

/** Longest file in `src/`, in lines. */
export const MAX_FILE_LINES = 400;
/** Longest function in `src/`, in lines of code. */
export const MAX_FUNCTION_LINES = 80;

/** The project's `src/` folder, as a path ending in a separator. */
export const SRC_DIR: string = fileURLToPath(new URL("../src/", import.meta.url));

/** Whether the file at `path` (a path or a `file:` URL) falls under the rules: TypeScript in `src/`. */
export function isMeasured(path: string): boolean {
  const file = path.startsWith("file:") ? fileURLToPath(path) : path;
  return file.startsWith(SRC_DIR) && file.endsWith(".ts");
}

/** `true` for each line (0-based) of `text` that holds something besides comments and space. */
export function codeLines(
  text: string,
  comments: readonly { range: [number, number] }[],
): boolean[] {
  let bare = text;
  // Comments become spaces (their line breaks stay), so a line left blank held only comments.
  for (const { range: [start, end] } of comments) {
    bare = bare.slice(0, start) + bare.slice(start, end).replace(/[^\n]/g, " ") + bare.slice(end);
  }
  return bare.split("\n").map((line) => line.trim() !== "");
}

type FunctionNode =
  | Deno.lint.FunctionDeclaration
  | Deno.lint.FunctionExpression
  | Deno.lint.ArrowFunctionExpression;

const plugin: Deno.lint.Plugin = {
  name: "code-size",
  rules: {
    "file-lines": {
      create(context) {
        if (!isMeasured(context.filename)) return {};
        return {
          Program() {
            const text = context.sourceCode.text;
            const lines = text.endsWith("\n")
              ? text.split("\n").length - 1
              : text.split("\n").length;
            if (lines > MAX_FILE_LINES) {
              context.report({
                range: [0, 0],
                message: `File has ${lines} lines, over ${MAX_FILE_LINES}: split it by concept`,
              });
            }
          },
        };
      },
    },
    "function-lines": {
      create(context) {
        if (!isMeasured(context.filename)) return {};
        const text = context.sourceCode.text;
        let code: boolean[] | undefined;
        let lineStarts: number[] | undefined;
        const lineOf = (offset: number): number => {
          lineStarts ??= [0, ...[...text.matchAll(/\n/g)].map((m) => m.index + 1)];
          let lo = 0, hi = lineStarts.length - 1;
          while (lo < hi) {
            const mid = (lo + hi + 1) >> 1;
            if (lineStarts[mid] <= offset) lo = mid;
            else hi = mid - 1;
          }
          return lo;
        };
        const measure = (node: FunctionNode) => {
          code ??= codeLines(text, context.sourceCode.getAllComments());
          const [start, end] = node.range;
          let count = 0;
          for (let line = lineOf(start); line <= lineOf(end); line++) if (code[line]) count++;
          if (count > MAX_FUNCTION_LINES) {
            context.report({
              node,
              message:
                `Function has ${count} lines of code, over ${MAX_FUNCTION_LINES}: split it into steps`,
            });
          }
        };
        return {
          FunctionDeclaration: measure,
          FunctionExpression: measure,
          ArrowFunctionExpression: measure,
        };
      },
    },
  },
};

export default plugin;
