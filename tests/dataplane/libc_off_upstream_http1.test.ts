/**
 * The pooled HTTP/1.1 client's tests on Deno's sockets (`--sockets deno`),
 * now that an absent setting means libc's where they open: both paths stay
 * covered by the same cases.
 */
import { socketsWhenAbsent } from "../../src/dataplane/libc_sockets.ts";

socketsWhenAbsent("deno");
await import("./upstream_http1.test.ts");
await import("./upstream_http1_split.test.ts");
await import("./upstream_http1_trailers.test.ts");
await import("./upstream_lent_body.test.ts");
