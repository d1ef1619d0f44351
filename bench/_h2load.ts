/**
 * h2load runs for the TLS benchmarks: one run's figures, and a wait until an
 * HTTPS (or HTTP) target answers 200 through curl with a chosen name.
 * @module
 */

/** One h2load run's figures. */
export interface H2loadResult {
  requestsPerSec: number;
  succeeded: number;
  failed: number;
  non2xx: number;
  raw: string;
}

/**
 * Runs h2load against `url`, its connections going to `127.0.0.1:port`
 * whatever the URL's host (so the SNI is the URL's host).
 */
export async function h2load(url: string, port: number, args: string[]): Promise<H2loadResult> {
  const output = await new Deno.Command("h2load", {
    args: [...args, "--connect-to", `127.0.0.1:${port}`, url],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const raw = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
  const num = (re: RegExp) => Number(raw.match(re)?.[1] ?? NaN);
  return {
    requestsPerSec: num(/finished in [^,]+, ([\d.]+) req\/s/),
    succeeded: num(/(\d+) succeeded/),
    failed: num(/(\d+) failed/),
    non2xx: num(/status codes: \d+ 2xx, (\d+) 3xx/) + num(/3xx, (\d+) 4xx/) + num(/4xx, (\d+) 5xx/),
    raw,
  };
}

/** Waits until `url` (host `name`, dialled at 127.0.0.1) answers 200 through curl. */
export async function waitForCurl200(
  url: string,
  name: string,
  port: number,
  caFile: string,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    const out = await new Deno.Command("curl", {
      args: [
        "-s",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "--cacert",
        caFile,
        "--resolve",
        `${name}:${port}:127.0.0.1`,
        url,
      ],
      stdout: "piped",
    }).output();
    last = new TextDecoder().decode(out.stdout);
    if (last === "200") return;
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`Cannot reach ${url} within ${timeoutMs} ms: ${last}`);
}

/** `args` with the value after `-n` divided by `by` (a warm-up run), at least 1. */
export function fewerRequests(args: readonly string[], by: number): string[] {
  return args.map((a, i) =>
    args[i - 1] === "-n" ? String(Math.max(1, Math.ceil(Number(a) / by))) : a
  );
}
