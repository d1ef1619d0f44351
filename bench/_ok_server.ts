/**
 * The process {@link ./_ok_backend.ts} starts: answers every request 200
 * `ok` on the address it is given, until SIGTERM. It imports nothing, so it
 * needs no permission but the network: `deno run --allow-net=127.0.0.1
 * bench/_ok_server.ts 127.0.0.1:PORT`.
 * @module
 */
const [hostname, port] = (Deno.args[0] ?? "127.0.0.1:0").split(":");
const body = new TextEncoder().encode("ok");
const server = Deno.serve(
  { hostname, port: Number(port), onListen() {} },
  () => new Response(body, { headers: { "content-type": "text/plain" } }),
);
Deno.addSignalListener("SIGTERM", () => server.shutdown().then(() => Deno.exit(0)));
await server.finished;
