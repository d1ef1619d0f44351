/**
 * Instructions the head work of one proxied request costs, counted under
 * callgrind without sockets: the bench's request head (h2load's GET) parsed,
 * its fields read and forwarded, the backend's head written, nginx's answer
 * parsed and the client's head written from it, the path checked and the
 * clock read, each piece in a loop of its own. A piece runs `--warmup`
 * times (the code optimized), then `--requests` times with callgrind's
 * instrumentation on, in a process of its own; the main thread's count,
 * less that of an empty piece (turning the count on and off), over the
 * rounds is the piece's cost a request.
 *
 * ```sh
 * deno run -A bench/_head_instructions.ts [--requests 20000] [--warmup 200000] [--pieces all,request,...]
 *                                         [--baseline DIR]
 * deno run -A bench/_head_instructions.ts --piece NAME --rounds N   # one loop, run by the above
 * ```
 * @module
 */
// deno-lint-ignore-file no-console
import { flag } from "./_bench_setup.ts";
import { requirePositiveInteger, requireTools } from "./_processes.ts";
import { control } from "./_proxy_instructions.ts";

/** The pieces, in the order a request meets them. */
const PIECES = [
  "request",
  "request-varying",
  "response-varying",
  "forward",
  "encode",
  "response",
  "answer",
  "path",
  "clock",
  "all",
  "copy",
  "none",
] as const;
type Piece = typeof PIECES[number];

/** A 32-digit request id, as nginx's `$request_id`; the byte after it marks its end. */
const ID = "0".repeat(31) + "z";
const ID_END = "z".charCodeAt(0);
const HEX = Array.from("0123456789abcdef", (c) => c.charCodeAt(0));
const REQUEST = "GET /bench HTTP/1.1\r\nHost: 127.0.0.1:18080\r\n" +
  "user-agent: h2load nghttp2/1.52.0\r\n\r\n";
const RESPONSE = "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\n" +
  "Date: Tue, 01 Dec 2026 21:09:47 GMT\r\nContent-Type: text/plain\r\n" +
  "Content-Length: 29\r\nConnection: keep-alive\r\n\r\nhello from the bench backend\n";

/** Runs `piece` `rounds` times over the modules of the checkout at `root`. */
async function runPiece(
  root: string,
  piece: Piece,
  rounds: number,
  warmup: number,
): Promise<void> {
  const dp = `${root}src/dataplane/`;
  const { parseRequestHead } = await import(`${dp}h1/h1_request_head.ts`);
  const { readHeadFields, forwardRequestFields } = await import(`${dp}head_forwarding.ts`);
  const { encodeRequestHeadInto } = await import(`${dp}upstream_request_writer.ts`);
  const { readResponseHead } = await import(`${dp}upstream_head_parser.ts`);
  const { HeadBytes, fieldPrefix } = await import(`${dp}h1/h1_head_bytes.ts`);
  // As our server frames an answer (a checkout before fieldPrefix wrote the name as text).
  const lengthPrefix: Uint8Array | undefined = fieldPrefix?.("content-length");
  const { decidePath } = await import(`${dp}path_policy.ts`);
  const { monotonicNow } = await import(`${dp}monotonic_clock.ts`);
  const encoder = new TextEncoder();
  const request = encoder.encode(REQUEST);
  const requestEnd = REQUEST.indexOf("\r\n\r\n");
  const response = encoder.encode(RESPONSE);
  const responseEnd = RESPONSE.indexOf("\r\n\r\n");
  const body = response.subarray(responseEnd + 4);
  const scratch = new Uint8Array(4096);
  const head = new HeadBytes();
  let sink = 0;

  const parse = () => parseRequestHead(request, 0, requestEnd);
  // Heads that never repeat: a request id (as tracing adds) rewritten before each read.
  const varyingRequest = encoder.encode(
    REQUEST.replace("\r\n\r\n", `\r\nx-request-id: ${ID}\r\n\r\n`),
  );
  const varyingResponse = encoder.encode(
    RESPONSE.replace("\r\n\r\n", `\r\nX-Request-Id: ${ID}\r\n\r\n`),
  );
  let serial = 0;
  const vary = (bytes: Uint8Array) => {
    let n = ++serial;
    for (let at = bytes.indexOf(ID_END) - 1; n > 0; at--, n = Math.floor(n / 16)) {
      bytes[at] = HEX[n % 16];
    }
    return bytes;
  };
  const forward = (parsed: ReturnType<typeof parse>) => {
    const client = readHeadFields(parsed.fields, "drop");
    return forwardRequestFields({
      client,
      modifiers: [],
      xffTrustedHops: 0,
      host: parsed.host,
      clientIp: "127.0.0.1",
      scheme: "http",
      forwardedHost: parsed.host,
    });
  };
  const encode = (fields: ReturnType<typeof forward>) =>
    encodeRequestHeadInto(scratch, "GET", "/bench", [], "none", 0, fields);
  const answer = (parsed: ReturnType<typeof readResponseHead>) => {
    head.begin(parsed.status);
    const { buf, places } = parsed;
    for (let i = 0; i < places.length; i += 4) {
      head.fieldBytes(buf, places[i], places[i + 1], places[i + 2], places[i + 3]);
    }
    if (!parsed.date) head.date();
    if (lengthPrefix === undefined) head.field("content-length", String(body.length));
    else if (head.prefixedNumber !== undefined) head.prefixedNumber(lengthPrefix, body.length);
    else head.prefixedField(lengthPrefix, String(body.length));
    head.end();
    head.append(body);
    const n = head.bytes().length;
    head.release();
    return n;
  };
  const parsedRequest = parse();
  const forwarded = forward(parsedRequest);
  const parsedResponse = readResponseHead(response, 0, responseEnd);
  const step: () => number = {
    request: () => parse().fields.count,
    "request-varying": () => {
      const bytes = vary(varyingRequest);
      return parseRequestHead(bytes, 0, bytes.length - 4).fields.count;
    },
    "response-varying": () => {
      const bytes = vary(varyingResponse);
      const end = bytes.indexOf(13, bytes.indexOf(ID_END));
      return readResponseHead(bytes, 0, end).places.length;
    },
    forward: () => forward(parsedRequest).added.length,
    encode: () => encode(forwarded).length,
    response: () => readResponseHead(response, 0, responseEnd).places.length,
    answer: () => answer(parsedResponse),
    none: () => 0,
    copy: () => {
      // A yardstick: the request's bytes copied one by one, as a minimal proxy would.
      let at = 0;
      for (let i = 0; i < request.length; i++) scratch[at++] = request[i];
      return at;
    },
    path: () => (decidePath("/bench", "keep") as { path: string }).path.length,
    clock: () => monotonicNow() + monotonicNow() + monotonicNow(),
    all: () => {
      const p = parse();
      const f = forward(p);
      let n = encode(f).length;
      f.own();
      n += (decidePath("/bench", "keep") as { path: string }).path.length;
      n += monotonicNow() + monotonicNow() + monotonicNow();
      return n + answer(readResponseHead(response, 0, responseEnd));
    },
  }[piece];
  for (let i = 0; i < warmup; i++) sink += step();
  // Counted from here: the code is warm, and its compilation (on other threads) done.
  await new Promise((resolve) => setTimeout(resolve, 3000));
  await control(Deno.pid, "-i", "on");
  for (let i = 0; i < rounds; i++) sink += step();
  await control(Deno.pid, "-i", "off");
  if (sink === -1) console.log(sink);
}

/** Main-thread instructions of `piece` run `rounds` times in the checkout at `root`. */
async function count(
  root: string,
  piece: Piece,
  rounds: number,
  warmup: number,
  dir: string,
): Promise<number> {
  const out = `${dir}/cg-${piece}-${rounds}-${crypto.randomUUID()}.out`;
  const done = await new Deno.Command("valgrind", {
    args: [
      "--tool=callgrind",
      "--smc-check=all-non-file",
      "--separate-threads=yes",
      "--instr-atstart=no",
      `--callgrind-out-file=${out}`,
      Deno.execPath(),
      "run",
      "-A",
      "--v8-flags=--max-semi-space-size=2,--heap-growing-percent=50",
      new URL(import.meta.url).pathname,
      "--root",
      root,
      "--piece",
      piece,
      "--rounds",
      String(rounds),
      "--warmup",
      String(warmup),
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!done.success) {
    throw new Error(`Cannot count ${piece}: ${new TextDecoder().decode(done.stderr).slice(-2000)}`);
  }
  const text = await Deno.readTextFile(`${out}-01`);
  const total = /^totals: (\d+)/m.exec(text);
  if (total === null) throw new Error(`Cannot read the instruction total of ${out}-01`);
  return Number(total[1]);
}

if (import.meta.main) {
  const root = flag("root", new URL("..", import.meta.url).pathname);
  const one = flag("piece", "");
  if (one !== "") {
    const at = root.endsWith("/") ? root : root + "/";
    await runPiece(at, one as Piece, Number(flag("rounds", "1")), Number(flag("warmup", "0")));
    Deno.exit(0);
  }
  await requireTools("the head instruction count", ["valgrind"]);
  const requests = Number(flag("requests", "20000"));
  requirePositiveInteger("requests", requests);
  const warmup = Number(flag("warmup", "200000"));
  requirePositiveInteger("warmup", warmup);
  const pieces = flag("pieces", PIECES.filter((p) => p !== "none").join(",")).split(",") as Piece[];
  const roots: [string, string][] = [["new", root]];
  const baseline = flag("baseline", "");
  if (baseline !== "") roots.push(["baseline", baseline.endsWith("/") ? baseline : baseline + "/"]);
  const dir = await Deno.makeTempDir({ prefix: "serval-head-instructions-" });
  try {
    console.log(
      `head work, main-thread instructions a request (${requests} counted after ${warmup})`,
    );
    const idle = new Map<string, number>();
    for (const [name, at] of roots) idle.set(name, await count(at, "none", requests, warmup, dir));
    for (const piece of pieces) {
      const line = [piece.padEnd(10)];
      for (const [name, at] of roots) {
        const total = await count(at, piece, requests, warmup, dir);
        line.push(`${name} ${((total - idle.get(name)!) / requests).toFixed(0).padStart(6)}`);
      }
      console.log(line.join("  "));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
