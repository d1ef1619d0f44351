/**
 * A scriptable HTTP/2 backend for upstream client tests (`node:http2`,
 * cleartext or TLS with ALPN `h2`): every stream is handed to the test's
 * `onStream`, and the backend records the request headers it saw and the
 * sessions it accepted.
 * @module
 */
import http2 from "node:http2";
import type { AddressInfo } from "node:net";

/** A running backend. */
export interface H2Backend extends AsyncDisposable {
  readonly port: number;
  /** Request headers of every stream, in arrival order. */
  readonly requests: http2.IncomingHttpHeaders[];
  /** Sessions accepted so far. */
  sessions(): number;
  /** Sessions open now. */
  openSessions(): number;
  close(): Promise<void>;
}

/** Options of {@linkcode startH2Backend}. */
export interface H2BackendOptions {
  /** The backend's SETTINGS_MAX_CONCURRENT_STREAMS. */
  maxConcurrentStreams?: number;
  /** Serve TLS with this certificate (ALPN `h2`, or `alpn` when given). */
  tls?: { certPem: string; keyPem: string; alpn?: string[] };
}

/** Starts a backend on a free loopback port. */
export async function startH2Backend(
  onStream: (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void,
  options: H2BackendOptions = {},
): Promise<H2Backend> {
  const settings = options.maxConcurrentStreams === undefined
    ? {}
    : { maxConcurrentStreams: options.maxConcurrentStreams };
  const server = options.tls === undefined
    ? http2.createServer({ settings })
    : http2.createSecureServer({
      settings,
      cert: options.tls.certPem,
      key: options.tls.keyPem,
      ALPNProtocols: options.tls.alpn ?? ["h2"],
    });
  const requests: http2.IncomingHttpHeaders[] = [];
  const open = new Set<http2.ServerHttp2Session>();
  let sessions = 0;
  server.on("session", (session: http2.ServerHttp2Session) => {
    sessions++;
    open.add(session);
    session.on("close", () => open.delete(session));
    session.on("error", () => {});
  });
  server.on("stream", (stream, headers) => {
    requests.push(headers);
    stream.on("error", () => {});
    onStream(stream, headers);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const close = () =>
    new Promise<void>((resolve) => {
      for (const session of open) session.destroy();
      server.close(() => resolve());
    });
  return {
    port,
    requests,
    sessions: () => sessions,
    openSessions: () => open.size,
    close,
    [Symbol.asyncDispose]: close,
  };
}
