import { assert } from "@std/assert";
import { FLAGS } from "../../src/cli/flag_table.ts";

const readme = await Deno.readTextFile(new URL("../../README.md", import.meta.url));
const denoJson = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url)));

Deno.test("the README documents every flag", () => {
  for (const flag of FLAGS) assert(readme.includes(`\`--${flag.name}`), `--${flag.name}`);
});

Deno.test("the README's quickstart commands name tasks that exist", () => {
  for (const [, task] of readme.matchAll(/npx -y deno@2\.9\.6 task (\w+)/g)) {
    assert(task in denoJson.tasks, task);
  }
  assert(readme.includes("npx -y deno@2.9.6 task demo"));
  assert(readme.includes("npx -y deno@2.9.6 task test"));
});

Deno.test("the README's admin endpoints are the admin app's", async () => {
  const admin = await Deno.readTextFile(new URL("../../src/admin/admin_app.ts", import.meta.url));
  for (const path of ["/healthz", "/readyz", "/config", "/reload", "/metrics", "/explain"]) {
    assert(readme.includes(path), path);
    assert(admin.includes(path), `admin_app.ts serves ${path}`);
  }
});
