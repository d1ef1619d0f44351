/**
 * Serves the admin app over TLS, optionally asking every client for a
 * certificate signed by `--admin-client-ca` (mutual TLS). `Deno.serve` and
 * `Deno.listenTls` cannot ask for or verify a client certificate, so this
 * uses the runtime's `node:https` server, whose TLS stack can (a client
 * without a valid certificate fails the handshake and never reaches a
 * route), and hands each request to the app as a fetch `Request`.
 * @module
 */
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "../log/logger.ts";

/** What {@linkcode serveAdminTls} needs. */
export interface AdminTlsOptions {
  hostname: string;
  port: number;
  /** PEM certificate chain and private key of the admin API. */
  cert: string;
  key: string;
  /** PEM CA bundle; when given, clients must present a certificate it signed. */
  clientCa?: string;
  /** Called with the bound address. */
  onListen?: (addr: { hostname: string; port: number }) => void;
  /** Connections served at once; more are closed at accept (default 64). */
  maxConnections?: number;
  /** The longest TLS handshake, in ms (default 10 000). */
  handshakeTimeoutMs?: number;
  /** A connection with no traffic this long is closed, in ms (default 60 000). */
  idleTimeoutMs?: number;
}

/** A running TLS admin server. */
export interface AdminTlsServer {
  /** Stops accepting and closes every connection. */
  shutdown(): Promise<void>;
  /** Resolves once listening (rejects when the address cannot be bound). */
  readonly listening: Promise<void>;
}

/** Request bodies the admin API takes are tiny; anything larger is refused. */
const MAX_BODY_BYTES = 64 * 1024;

/**
 * Serves `fetch` (an app's handler) over TLS.
 *
 * @example
 * ```ts
 * import { serveAdminTls } from "./admin_tls_server.ts";
 * import { createLogger } from "../log/logger.ts";
 * declare const cert: string, key: string, clientCa: string;
 * const handler = () => new Response("ok");
 * const options = { hostname: "127.0.0.1", port: 9901, cert, key, clientCa };
 * const server = serveAdminTls(handler, options, createLogger());
 * await server.listening;
 * ```
 */
export function serveAdminTls(
  fetch: (request: Request) => Response | Promise<Response>,
  options: AdminTlsOptions,
  logger: Logger,
): AdminTlsServer {
  const mutual = options.clientCa !== undefined;
  const server: Server = createServer({
    cert: options.cert,
    key: options.key,
    ca: options.clientCa,
    requestCert: mutual,
    rejectUnauthorized: mutual,
    // The same bounds as the plain admin listener: a silent or idle client
    // cannot hold a connection, nor many clients all of them.
    handshakeTimeout: options.handshakeTimeoutMs ?? 10_000,
  }, (req, res) => {
    answer(fetch, req, res).catch((error) => {
      logger.error("admin request failed", { error });
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: "Cannot serve the admin request: internal error" }));
    });
  });
  server.maxConnections = options.maxConnections ?? 64;
  const idleMs = options.idleTimeoutMs ?? 60_000;
  server.on("secureConnection", (socket) => socket.setTimeout(idleMs, () => socket.destroy()));
  server.on("tlsClientError", (error: Error) => {
    logger.debug("admin TLS handshake failed", { error: error.message });
  });
  const listening = new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.hostname, () => {
      server.off("error", reject);
      options.onListen?.({ hostname: options.hostname, port: options.port });
      resolve();
    });
  });
  return {
    listening,
    shutdown: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      }),
  };
}

async function answer(
  fetch: (request: Request) => Response | Promise<Response>,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const headers = new Headers();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    try {
      headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
    } catch {
      // A name or value fetch cannot hold: left out, as the data plane's engine would refuse it.
    }
  }
  const method = req.method ?? "GET";
  let body: Uint8Array<ArrayBuffer> | undefined;
  if (method !== "GET" && method !== "HEAD") {
    body = await readBody(req);
    if (body === undefined) {
      res.writeHead(413, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: "Cannot read the admin request: body too large" }));
      return;
    }
  }
  // The URL's authority is not trusted for anything: the guard reads `Host`.
  const url = new URL(req.url ?? "/", "https://admin.invalid");
  const response = await fetch(new Request(url, { method, headers, body }));
  const bytes = new Uint8Array(await response.arrayBuffer());
  const out: Record<string, string> = {};
  response.headers.forEach((value, name) => out[name] = value);
  // Admin answers are small and whole: a length, not chunked framing.
  out["content-length"] = String(bytes.length);
  res.writeHead(response.status, out);
  res.end(bytes);
}

async function readBody(req: IncomingMessage): Promise<Uint8Array<ArrayBuffer> | undefined> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of req) {
    length += (chunk as Uint8Array).length;
    if (length > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Uint8Array);
  }
  const all = new Uint8Array(length);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  return all;
}
