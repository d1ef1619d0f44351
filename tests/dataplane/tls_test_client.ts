/**
 * TLS clients for tests, all with certificate verification on: a minimal
 * HTTP/1.1 exchange over one kept-alive connection (so tests choose SNI and
 * Host independently), `openssl s_client` to read which certificate a server
 * name gets, and `curl` for HTTP/2.
 * @module
 */

/** A parsed HTTP/1.1 response. */
export interface RawResponse {
  status: number;
  headers: Headers;
  body: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Sends one request on `conn` and reads one response (content-length or
 * chunked bodies). The connection stays open for the next request.
 */
export async function httpOverTls(
  conn: Deno.Conn,
  request: { host: string; path: string; method?: string; headers?: Record<string, string> },
): Promise<RawResponse> {
  const extra = Object.entries(request.headers ?? {}).map(([k, v]) => `${k}: ${v}\r\n`).join("");
  await conn.write(
    encoder.encode(
      `${
        request.method ?? "GET"
      } ${request.path} HTTP/1.1\r\nhost: ${request.host}\r\n${extra}\r\n`,
    ),
  );
  let buffer = new Uint8Array(0);
  const readMore = async (): Promise<void> => {
    const chunk = new Uint8Array(16384);
    const n = await conn.read(chunk);
    if (n === null) throw new Error("Cannot read response: connection closed");
    const next = new Uint8Array(buffer.length + n);
    next.set(buffer);
    next.set(chunk.subarray(0, n), buffer.length);
    buffer = next;
  };
  let headEnd = -1;
  while ((headEnd = indexOfCrlfCrlf(buffer)) < 0) await readMore();
  const head = decoder.decode(buffer.subarray(0, headEnd)).split("\r\n");
  const status = Number(head[0].split(" ")[1]);
  const headers = new Headers();
  for (const line of head.slice(1)) {
    const colon = line.indexOf(":");
    headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  let rest = buffer.subarray(headEnd + 4);
  const length = headers.get("content-length");
  if (length !== null) {
    while (rest.length < Number(length)) {
      await readMore();
      rest = buffer.subarray(headEnd + 4);
    }
    return { status, headers, body: decoder.decode(rest.subarray(0, Number(length))) };
  }
  if (headers.get("transfer-encoding")?.includes("chunked")) {
    while (
      !decoder.decode(rest).includes("\r\n0\r\n\r\n") &&
      !decoder.decode(rest).startsWith("0\r\n\r\n")
    ) {
      await readMore();
      rest = buffer.subarray(headEnd + 4);
    }
    return { status, headers, body: dechunk(decoder.decode(rest)) };
  }
  return { status, headers, body: "" };
}

function indexOfCrlfCrlf(bytes: Uint8Array): number {
  for (let i = 0; i + 3 < bytes.length; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10) {
      return i;
    }
  }
  return -1;
}

function dechunk(text: string): string {
  let out = "";
  let at = 0;
  while (at < text.length) {
    const lineEnd = text.indexOf("\r\n", at);
    const size = parseInt(text.slice(at, lineEnd), 16);
    if (!size) break;
    out += text.slice(lineEnd + 2, lineEnd + 2 + size);
    at = lineEnd + 2 + size + 2;
  }
  return out;
}

/** What `openssl s_client` saw for one server name. */
export interface PeerCertificate {
  /** Handshake completed and the chain verified against the CA for that name. */
  verified: boolean;
  /** Subject CN of the certificate the server sent, if any. */
  commonName?: string;
}

/**
 * Handshakes with `serverName` as SNI (or none when `null`) and reports the
 * certificate the server chose, verified against `caFile` and the name.
 */
export async function peerCertificate(
  port: number,
  serverName: string | null,
  caFile: string,
): Promise<PeerCertificate> {
  const args = ["s_client", "-connect", `127.0.0.1:${port}`, "-CAfile", caFile, "-brief"];
  if (serverName === null) args.push("-noservername");
  else args.push("-servername", serverName, "-verify_hostname", serverName);
  const output = await new Deno.Command("openssl", {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const text = decoder.decode(output.stdout) + decoder.decode(output.stderr);
  const cn = text.match(/Peer certificate:.*?CN\s*=\s*([^,\n]+)/)?.[1]?.trim();
  const verified = /Verification: OK/.test(text) && output.success;
  return { verified, commonName: cn };
}

/** One or more `curl` transfers to 127.0.0.1 under chosen names (`--resolve`). */
export async function curlHttps(options: {
  port: number;
  caFile: string;
  /** Names resolved to 127.0.0.1. */
  names: string[];
  /** Arguments after the common ones; `PORT` is replaced by the port. */
  args: string[];
}): Promise<{ success: boolean; stdout: string; stderr: string }> {
  const resolve = options.names.flatMap((n) => ["--resolve", `${n}:${options.port}:127.0.0.1`]);
  const output = await new Deno.Command("curl", {
    args: [
      "-sS",
      "--cacert",
      options.caFile,
      ...resolve,
      ...options.args.map((a) => a.replaceAll("PORT", String(options.port))),
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    success: output.success,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}
