/**
 * Golden tests: every `testdata/<kind>-<scenario>.in.yaml` is translated and
 * compared with `testdata/<kind>-<scenario>.out.json`. `UPDATE_GOLDEN=1`
 * rewrites the outputs (read every changed one before committing it).
 */
import { assertEquals } from "@std/assert";
import { translate } from "../../src/translate/translate.ts";
import type { TranslateResult } from "../../src/model/config.ts";
import { loadSnapshot } from "./load_snapshot.ts";

const TESTDATA = new URL("./testdata/", import.meta.url);
const UPDATE = Deno.env.get("UPDATE_GOLDEN") === "1";

/** The result as stored in a golden file: private keys never leave the process. */
export function goldenView(result: TranslateResult): unknown {
  return {
    config: result.config,
    certificates: result.certificates.map((c) => ({ ...c, keyPem: "<redacted>" })),
    statuses: result.statuses,
    problems: result.problems,
  };
}

const scenarios = [...Deno.readDirSync(TESTDATA)]
  .map((e) => e.name)
  .filter((name) => name.endsWith(".in.yaml"))
  .sort();

Deno.test("golden scenarios exist", () => {
  if (scenarios.length < 24) {
    throw new Error(`Expected at least 24 golden scenarios, found ${scenarios.length}`);
  }
});

for (const file of scenarios) {
  const name = file.slice(0, -".in.yaml".length);
  Deno.test(`golden: ${name.replaceAll("-", " ")}`, () => {
    const text = Deno.readTextFileSync(new URL(file, TESTDATA));
    const { snapshot, options } = loadSnapshot(
      text,
      (path) => Deno.readTextFileSync(new URL(path, TESTDATA)),
    );
    const result = translate(snapshot, options);
    const actual = JSON.stringify(goldenView(result), null, 2) + "\n";
    const outUrl = new URL(`${name}.out.json`, TESTDATA);
    if (UPDATE) {
      Deno.writeTextFileSync(outUrl, actual);
      return;
    }
    let expected: string;
    try {
      expected = Deno.readTextFileSync(outUrl);
    } catch {
      throw new Error(
        `Cannot read golden output ${name}.out.json: run with UPDATE_GOLDEN=1 to create it`,
      );
    }
    assertEquals(JSON.parse(actual), JSON.parse(expected));
    assertEquals(actual, expected);
    // Determinism: a second run over the same snapshot gives the same bytes.
    assertEquals(JSON.stringify(goldenView(translate(snapshot, options)), null, 2) + "\n", actual);
  });
}
