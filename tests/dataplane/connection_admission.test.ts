/**
 * admitConnection, the check both TLS doors make at accept: a port's own
 * limit first (counted as the port's refusal, no slot taken), then the
 * process's shared budget.
 */
import { assertEquals } from "@std/assert";
import { admitConnection, ConnectionBudget } from "../../src/dataplane/connection_budget.ts";

Deno.test("a port at its own limit refuses without taking a slot of the budget", () => {
  const refusals: string[] = [];
  const budget = new ConnectionBudget(10, (reason) => refusals.push(reason));
  assertEquals(admitConnection(2, 2, budget), false);
  assertEquals(budget.open, 0);
  assertEquals(refusals, ["port"]);
});

Deno.test("below the port's limit the budget decides, and an admitted connection holds its slot", () => {
  const refusals: string[] = [];
  const budget = new ConnectionBudget(1, (reason) => refusals.push(reason));
  assertEquals(admitConnection(0, 2, budget), true);
  assertEquals(budget.open, 1);
  assertEquals(admitConnection(1, 2, budget), false);
  assertEquals(refusals, ["global"]);
});

Deno.test("without a port limit or a budget every connection is admitted", () => {
  assertEquals(admitConnection(1_000, 0, undefined), true);
  assertEquals(admitConnection(1_000, undefined, undefined), true);
});
