/**
 * A child process for `libc_listener.test.ts`: listens on libc's sockets,
 * uses up its descriptors, and reports what `accept` gives for the
 * connection the parent makes then, and after one descriptor is freed.
 * Prints one JSON line per step on stdout.
 */
import { libcListen } from "../../src/dataplane/libc_listener.ts";
import { isOutOfDescriptors } from "../../src/dataplane/connection_budget.ts";

const listener = libcListen({ hostname: "127.0.0.1", port: 0 });
if ("problem" in listener) throw new Error(listener.problem);
const say = (line: Record<string, unknown>) =>
  Deno.stdout.writeSync(new TextEncoder().encode(`${JSON.stringify(line)}\n`));
const files: Deno.FsFile[] = [];
for (;;) {
  try {
    files.push(Deno.openSync("/dev/null"));
  } catch {
    break;
  }
}
say({ port: listener.addr.port, held: files.length });
// The parent connects once it read the port; the accept fails for want of a descriptor.
let error: Error | undefined;
try {
  (await listener.accept()).close();
} catch (caught) {
  error = caught as Error;
}
say({ message: error?.message, outOfDescriptors: isOutOfDescriptors(error) });
files.pop()?.close();
const conn = await listener.accept();
say({ accepted: conn.remoteAddr.port });
conn.close();
for (const file of files) file.close();
listener.close();
