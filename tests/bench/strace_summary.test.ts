import { assertEquals } from "@std/assert";
import { parseCounts, parseSummary } from "../../bench/_strace.ts";

const SUMMARY = `% time     seconds  usecs/call     calls    errors syscall
------ ----------- ----------- --------- --------- ----------------
 61.02    0.305100          15     20100           sendto
 30.11    0.150550           7     21100      1100 recvfrom
  8.87    0.044350          44      1000           epoll_wait
------ ----------- ----------- --------- --------- ----------------
100.00    0.500000          11     42200      1100 total
`;

Deno.test("parseSummary gives each system call's calls per request, most frequent first", () => {
  assertEquals(parseSummary(SUMMARY, 10000), [
    ["recvfrom", 2.11],
    ["sendto", 2.01],
    ["epoll_wait", 0.1],
  ]);
});

Deno.test("parseSummary skips the header, rules and total of a summary", () => {
  assertEquals(parseSummary("% time seconds usecs/call calls errors syscall\n", 1), []);
});

Deno.test("parseCounts gives each system call's calls and failed calls by name", () => {
  const rows = parseCounts(SUMMARY);
  assertEquals(rows.get("recvfrom"), { calls: 21100, errors: 1100 });
  assertEquals(rows.get("sendto"), { calls: 20100, errors: 0 });
  assertEquals(rows.has("total"), false);
  assertEquals(rows.size, 3);
});
