/**
 * The soak's probers: an HTTP loop that checks every answer (200, JSON from a
 * soak backend, the route generation it carried) and notes the newest route
 * generation and endpoint roll it saw served; an HTTPS check every second
 * (curl, a fresh TLS connection each time) that notes which certificate
 * rotation is served and fails when no CA issued so far verifies it.
 * @module
 */
import type { EchoReply } from "../scripts/echo_backend.ts";
import { SOAK_HOST, type SoakWorld } from "./_soak_world.ts";

/** What the probers saw. */
export interface Seen {
  requests: number;
  https: number;
  /** Newest route generation, endpoint roll and certificate rotation seen served. */
  generation: number;
  roll: number;
  rotation: number;
  /** Unexpected answers and errors, with what was seen. */
  errors: string[];
}

/** Running probers. */
export interface Probers {
  seen(): Seen;
  /** Resolves once backend `name` answered (or after 30 s, noting an error). */
  waitForBackend(name: string, signal: AbortSignal): Promise<void>;
  /** Resolves once rotation `rotation` is served (or after 30 s, noting an error). */
  waitForCertificate(caPem: string, rotation: number, signal: AbortSignal): Promise<void>;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts both probers against `world`'s listeners. */
export function startProbers(world: SoakWorld): Probers {
  const seen: Seen = { requests: 0, https: 0, generation: 0, roll: 0, rotation: 0, errors: [] };
  const client = Deno.createHttpClient({ allowHost: true });
  let stopped = false;
  const error = (text: string) => {
    if (seen.errors.length < 1000) seen.errors.push(`${new Date().toISOString()} ${text}`);
  };

  const http = (async () => {
    while (!stopped) {
      try {
        const res = await fetch(`http://127.0.0.1:${world.httpPort}/probe`, {
          client,
          headers: { host: SOAK_HOST },
        });
        const text = await res.text();
        seen.requests++;
        if (res.status !== 200) {
          error(`HTTP ${res.status}: ${text.slice(0, 200)}`);
          continue;
        }
        const reply = JSON.parse(text) as EchoReply;
        const roll = Number(/^soak-(\d+)$/.exec(reply.backend)?.[1] ?? NaN);
        const generation = Number(reply.headers["x-soak-generation"] ?? NaN);
        if (!Number.isInteger(roll) || !Number.isInteger(generation)) {
          error(`unexpected answer: ${text.slice(0, 200)}`);
          continue;
        }
        seen.roll = Math.max(seen.roll, roll);
        seen.generation = Math.max(seen.generation, generation);
      } catch (e) {
        error(`HTTP request failed: ${(e as Error).message}`);
        await sleep(100);
      }
    }
  })();

  const caDir = Deno.makeTempDirSync({ prefix: "serval-soak-ca-" });
  const https = (async () => {
    while (!stopped) {
      await sleep(1_000);
      const rotation = world.caPems.length;
      if (rotation === 0) continue;
      Deno.writeTextFileSync(`${caDir}/newest.pem`, world.caPems[rotation - 1]);
      seen.https++;
      const newest = await curl(world.httpsPort, `${caDir}/newest.pem`);
      if (newest.ok) {
        seen.rotation = Math.max(seen.rotation, rotation - 1);
        continue;
      }
      // A rotation may have landed between writing the files and the
      // handshake: the fallback trusts every CA issued by now, not by then.
      Deno.writeTextFileSync(`${caDir}/all.pem`, world.caPems.join(""));
      const any = await curl(world.httpsPort, `${caDir}/all.pem`);
      if (!any.ok) error(`HTTPS failed with every CA so far: ${any.detail}`);
    }
  })();

  const waitFor = async (done: () => boolean, what: string, signal: AbortSignal) => {
    const deadline = performance.now() + 30_000;
    while (!done() && !signal.aborted) {
      if (performance.now() > deadline) return error(`${what} not seen served within 30 s`);
      await sleep(50);
    }
  };

  return {
    seen: () => seen,
    waitForBackend: (name, signal) => {
      const index = Number(name.slice("soak-".length));
      return waitFor(() => seen.roll >= index, `backend ${name}`, signal);
    },
    waitForCertificate: (_caPem, rotation, signal) =>
      waitFor(() => seen.rotation >= rotation, `certificate rotation ${rotation}`, signal),
    async stop() {
      stopped = true;
      await Promise.all([http, https]);
      client.close();
      await Deno.remove(caDir, { recursive: true }).catch(() => {});
    },
  };
}

/** One HTTPS request with curl (a new TLS connection), verified against `caFile`. */
async function curl(port: number, caFile: string): Promise<{ ok: boolean; detail: string }> {
  const out = await new Deno.Command("curl", {
    args: [
      "-sS",
      "-o",
      "/dev/null",
      "-w",
      "%{http_code}",
      "--max-time",
      "10",
      "--cacert",
      caFile,
      "--resolve",
      `${SOAK_HOST}:${port}:127.0.0.1`,
      `https://${SOAK_HOST}:${port}/tls`,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const code = new TextDecoder().decode(out.stdout).trim();
  const detail = `${code} ${new TextDecoder().decode(out.stderr).trim()}`;
  return { ok: out.success && code === "200", detail };
}
