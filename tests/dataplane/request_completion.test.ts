/**
 * The `info` of our HTTP/1.1 server's requests (`request_completion.ts`):
 * watchers hear the answer go out with or without the `completed` promise,
 * in the order they asked, also when they ask late, and a watcher that
 * throws does not keep the others from hearing it.
 */
import { assert, assertEquals } from "@std/assert";
import { RequestCompletion, whenCompleted } from "../../src/dataplane/request_completion.ts";

const ADDR: Deno.NetAddr = { transport: "tcp", hostname: "127.0.0.1", port: 40000 };

Deno.test("request completion: callbacks and the completed promise settle once the answer is out", async () => {
  const info = new RequestCompletion(ADDR);
  const heard: string[] = [];
  whenCompleted(info, () => heard.push("first"));
  const promised = info.completed.then(() => heard.push("promise"));
  whenCompleted(info, () => {
    throw new Error("a watcher that throws");
  });
  whenCompleted(info, () => heard.push("last"));
  assertEquals(heard, []);
  info.complete();
  info.complete();
  assertEquals(heard, ["first", "last"]);
  await promised;
  assertEquals(heard, ["first", "last", "promise"]);
  assertEquals(info.remoteAddr, ADDR);
});

Deno.test("request completion: asking after the answer is out hears it at once, and completed is settled", async () => {
  const info = new RequestCompletion(ADDR);
  info.complete();
  let heard = false;
  whenCompleted(info, () => heard = true);
  assert(heard);
  await info.completed;
});

Deno.test("request completion: any other info is heard through its completed promise", async () => {
  let resolve!: () => void;
  const completed = new Promise<void>((r) => resolve = r);
  let heard = false;
  whenCompleted({ remoteAddr: ADDR, completed }, () => heard = true);
  resolve();
  await completed;
  await Promise.resolve();
  assert(heard);
});
