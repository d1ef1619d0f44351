/**
 * RFC 7541 Appendix C, the worked examples: each block decodes to the
 * listed fields with the listed dynamic table size, and our encoder's
 * output for the same lists decodes back to them.
 */
import { assertEquals } from "@std/assert";
import { HpackDecoder, HpackEncoder } from "../../../src/dataplane/h2/hpack.ts";

export function dehex(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, "");
  return Uint8Array.from(clean.match(/../g) ?? [], (pair) => parseInt(pair, 16));
}

function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

type Field = [string, string];
interface Step {
  block: string;
  fields: Field[];
  tableSize: number;
}

const REQUEST_1: Field[] = [
  [":method", "GET"],
  [":scheme", "http"],
  [":path", "/"],
  [":authority", "www.example.com"],
];
const REQUEST_2: Field[] = [...REQUEST_1, ["cache-control", "no-cache"]];
const REQUEST_3: Field[] = [
  [":method", "GET"],
  [":scheme", "https"],
  [":path", "/index.html"],
  [":authority", "www.example.com"],
  ["custom-key", "custom-value"],
];
const LOCATION: Field = ["location", "https://www.example.com"];
const RESPONSE_1: Field[] = [
  [":status", "302"],
  ["cache-control", "private"],
  ["date", "Mon, 21 Oct 2013 20:13:21 GMT"],
  LOCATION,
];
const RESPONSE_2: Field[] = [[":status", "307"], ...RESPONSE_1.slice(1)];
const RESPONSE_3: Field[] = [
  [":status", "200"],
  ["cache-control", "private"],
  ["date", "Mon, 21 Oct 2013 20:13:22 GMT"],
  LOCATION,
  ["content-encoding", "gzip"],
  ["set-cookie", "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1"],
];

const C3: Step[] = [
  { block: "828684410f7777772e6578616d706c652e636f6d", fields: REQUEST_1, tableSize: 57 },
  { block: "828684be58086e6f2d6361636865", fields: REQUEST_2, tableSize: 110 },
  {
    block: "828785bf400a637573746f6d2d6b65790c637573746f6d2d76616c7565",
    fields: REQUEST_3,
    tableSize: 164,
  },
];

const C4: Step[] = [
  { block: "828684418cf1e3c2e5f23a6ba0ab90f4ff", fields: REQUEST_1, tableSize: 57 },
  { block: "828684be5886a8eb10649cbf", fields: REQUEST_2, tableSize: 110 },
  {
    block: "828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf",
    fields: REQUEST_3,
    tableSize: 164,
  },
];

const C5: Step[] = [
  {
    block: `4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133
      2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70
      6c65 2e63 6f6d`,
    fields: RESPONSE_1,
    tableSize: 222,
  },
  { block: "4803333037c1c0bf", fields: RESPONSE_2, tableSize: 222 },
  {
    block: `88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d
      54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049
      5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e
      3d31`,
    fields: RESPONSE_3,
    tableSize: 215,
  },
];

const C6: Step[] = [
  {
    block: `4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6
      2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3`,
    fields: RESPONSE_1,
    tableSize: 222,
  },
  { block: "4883640effc1c0bf", fields: RESPONSE_2, tableSize: 222 },
  {
    block: `88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab
      77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f
      9587 3160 65c0 03ed 4ee5 b106 3d50 07`,
    fields: RESPONSE_3,
    tableSize: 215,
  },
];

function decodeSeries(steps: Step[], maxTableSize: number): void {
  const decoder = new HpackDecoder({ maxTableSize });
  for (const [i, step] of steps.entries()) {
    assertEquals(decoder.decode(dehex(step.block)), step.fields, `block ${i + 1}`);
    assertEquals(decoder.tableSize, step.tableSize, `table size after block ${i + 1}`);
  }
}

function roundTripSeries(steps: Step[], maxTableSize: number): void {
  const encoder = new HpackEncoder(maxTableSize);
  const decoder = new HpackDecoder({ maxTableSize });
  for (const [i, step] of steps.entries()) {
    assertEquals(decoder.decode(encoder.encode(step.fields)), step.fields, `list ${i + 1}`);
    assertEquals(decoder.tableSize, encoder.tableSize, `table sizes after list ${i + 1}`);
  }
}

Deno.test("C.2.1: a literal with incremental indexing adds custom-key: custom-header (55 bytes)", () => {
  const decoder = new HpackDecoder();
  const block = dehex("400a637573746f6d2d6b65790d637573746f6d2d686561646572");
  assertEquals(decoder.decode(block), [["custom-key", "custom-header"]]);
  assertEquals(decoder.tableSize, 55);
});

Deno.test("C.2.2 and C.2.3: literals without indexing and never indexed leave the table empty", () => {
  const decoder = new HpackDecoder();
  assertEquals(decoder.decode(dehex("040c2f73616d706c652f70617468")), [[":path", "/sample/path"]]);
  assertEquals(decoder.decode(dehex("100870617373776f726406736563726574")), [
    ["password", "secret"],
  ]);
  assertEquals(decoder.tableSize, 0);
});

Deno.test("C.2.4: an indexed field from the static table", () => {
  assertEquals(new HpackDecoder().decode(dehex("82")), [[":method", "GET"]]);
});

Deno.test("C.3: three requests without Huffman coding decode in sequence", () => {
  decodeSeries(C3, 4096);
});

Deno.test("C.4: three requests with Huffman coding decode in sequence", () => {
  decodeSeries(C4, 4096);
});

Deno.test("C.5: three responses without Huffman coding, evicting in a 256-byte table", () => {
  decodeSeries(C5, 256);
});

Deno.test("C.6: three responses with Huffman coding, evicting in a 256-byte table", () => {
  decodeSeries(C6, 256);
});

Deno.test("C.4: the encoder emits exactly the RFC's Huffman-coded request blocks", () => {
  const encoder = new HpackEncoder();
  for (const [i, step] of C4.entries()) {
    assertEquals(hex(encoder.encode(step.fields)), step.block, `request ${i + 1}`);
  }
});

Deno.test("C.3 and C.5 (the lists of C.4 and C.6 too): the encoder's blocks decode back to the same lists, tables in step", () => {
  roundTripSeries(C3, 4096);
  roundTripSeries(C5, 256);
});
