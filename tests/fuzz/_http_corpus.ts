/**
 * Seed messages for the HTTP fuzzers: valid requests and responses of every
 * framing shape the gateway handles, as latin-1 strings.
 * @module
 */

/** Upstream responses: Content-Length, chunked (with extensions and trailers), no body, interim, until close. */
export const RESPONSE_SEEDS: readonly string[] = [
  "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello",
  "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
  "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n",
  "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n3\r\nabc\r\n0\r\nX-Sum: 1\r\n\r\n",
  "HTTP/1.1 204 No Content\r\nX-A: b\r\n\r\n",
  'HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\nETag: "x"\r\n\r\n',
  "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
  "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
  "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close",
  "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 3\r\n\r\nabc",
  "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 4\r\n\r\nbye!",
  "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: keep-alive, X-Drop\r\nX-Drop: 1\r\n\r\nnot found",
  "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n1\r\nz\r\n0\r\n\r\n",
  "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 5, 5\r\n\r\nerror",
];

/** Client requests: no body, Content-Length, chunked, HEAD, HTTP/1.0, absolute-form, many headers. */
export const REQUEST_SEEDS: readonly string[] = [
  "GET /r/a?x=1 HTTP/1.1\r\nHost: fuzz.example\r\nUser-Agent: fuzz\r\n\r\n",
  "POST /r/b HTTP/1.1\r\nHost: fuzz.example\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello",
  "POST /r/c HTTP/1.1\r\nHost: fuzz.example\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n3;e=1\r\nabc\r\n0\r\n\r\n",
  "PUT /r/d HTTP/1.1\r\nHost: fuzz.example\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nX-T: 1\r\n\r\n",
  "HEAD /r/e HTTP/1.1\r\nHost: fuzz.example\r\n\r\n",
  "GET /r/f HTTP/1.0\r\nHost: fuzz.example\r\n\r\n",
  "GET http://fuzz.example/r/g HTTP/1.1\r\nHost: fuzz.example\r\n\r\n",
  "DELETE /r/h HTTP/1.1\r\nHost: fuzz.example\r\nX-A: 1\r\nX-B: 2\r\nCookie: a=b\r\nX-Fuzz-Route: client\r\nConnection: keep-alive, X-A\r\n\r\n",
  "POST /r/i HTTP/1.1\r\nHost: fuzz.example\r\nContent-Length: 0\r\n\r\n",
  "OPTIONS /r/j HTTP/1.1\r\nHost: fuzz.example\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi",
  // The route sets x-fuzz-route: a client listing it in Connection must not get it removed.
  "GET /r/k HTTP/1.1\r\nHost: fuzz.example\r\nConnection: x-fuzz-route, te\r\nX-Fuzz-Route: client\r\nTE: trailers\r\n\r\n",
  "GET /r/%2e%2e/%2F/l?q=%zz&a=%00 HTTP/1.1\r\nHost: FUZZ.example.:80\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n",
  "GET //r/../m/./n HTTP/1.1\r\nHost: fuzz.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
  "GET /rw/a/b?x=%20 HTTP/1.1\r\nHost: fuzz.example\r\n\r\n",
  "POST /redir/a%2Fb/../c?q=1 HTTP/1.1\r\nHost: fuzz.example:8080\r\nContent-Length: 1\r\n\r\nx",
  "OPTIONS /exact HTTP/1.1\r\nHost: fuzz.example\r\nOrigin: https://a.example\r\nAccess-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: x-a, x-b\r\n\r\n",
  "GET /exact HTTP/1.1\r\nHost: fuzz.example\r\nOrigin: https://a.example\r\n\r\n",
  "PATCH /r/o HTTP/1.1\r\nHost: fuzz.example\r\nContent-Length: 3\r\nX_Under: 1\r\nForwarded: for=1.2.3.4\r\n\r\nabc",
];
