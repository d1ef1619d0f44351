/**
 * What the status writer's own tests share: translate results made by hand;
 * the fake API server with our class, `gw` and a route carrying another
 * controller's entry, under a clock the test moves; and a writer over an
 * in-memory store whose client records what it patches and answers at once
 * (no API server: for tests of what gets looked at, not how it is written).
 * @module
 */
import { silentLogger } from "../../src/log/logger.ts";
import type { ObjectStatus, TranslateResult } from "../../src/model/config.ts";
import { ruleMapOf } from "../../src/model/rule_map.ts";
import type { GatewayResource } from "../../src/resources/types.ts";
import { createStore, type Store } from "../../src/source/store.ts";
import {
  createStatusWriter,
  type StatusWriter,
  type StatusWriterOptions,
} from "../../src/status/status_writer.ts";
import {
  CONTROLLER,
  gateway,
  gatewayClass,
  httpRoute,
  OTHER_PARENT,
} from "../fake_kube/fake_kube_fixtures.ts";
import { startStatusEnv, type StatusEnv } from "./_status_env.ts";

/** The writer's test world: {@linkcode StatusEnv}, a clock to move, and the PATCHes that wrote. */
export interface WriterEnv extends StatusEnv {
  /** Moves the writer's clock (2026-01-01T00:00:00Z at the start) on by `ms`. */
  advance(ms: number): void;
  /** How many status PATCHes were answered 200. */
  patches(): number;
}

/** Our class, `gw`, and route `r1` with another controller's entry; a writer with `writerOptions`. */
export async function writerEnv(
  writerOptions: Partial<StatusWriterOptions> = {},
): Promise<WriterEnv> {
  let clock = Date.parse("2026-01-01T00:00:00Z");
  const env = await startStatusEnv({
    objects: [
      gatewayClass(),
      gateway(),
      { ...httpRoute("r1"), status: { parents: [OTHER_PARENT] } },
    ],
    writer: { now: () => new Date(clock), ...writerOptions },
  });
  return Object.assign(env, {
    advance(ms: number) {
      clock += ms;
    },
    patches: () => env.patched(200).length,
  });
}

/** A result with `statuses` and nothing to serve. */
export function result(statuses: ObjectStatus[]): TranslateResult {
  return { config: { ports: [], rules: ruleMapOf() }, certificates: [], statuses, problems: [] };
}

/** Our GatewayClass `serval`, accepted or not. */
export function classStatus(status: "True" | "False", message = "ok"): ObjectStatus {
  return {
    kind: "GatewayClass",
    name: "serval",
    generation: 1,
    status: {
      conditions: [{
        type: "Accepted",
        status,
        reason: status === "True" ? "Accepted" : "InvalidParameters",
        message,
      }],
    },
  };
}

/** HTTPRoute `default/r1` accepted by `gw`: one parents entry of ours. */
export function routeStatus(): ObjectStatus {
  return {
    kind: "HTTPRoute",
    namespace: "default",
    name: "r1",
    generation: 1,
    status: {
      parents: [{
        parentRef: { name: "gw" },
        controllerName: CONTROLLER,
        conditions: [
          { type: "Accepted", status: "True", reason: "Accepted", message: "" },
          { type: "ResolvedRefs", status: "True", reason: "ResolvedRefs", message: "" },
        ],
      }],
    },
  };
}

/** A writer over a store of `count` routes `r0`… and the names of the routes it patched, in order. */
export interface RecordingWriter extends AsyncDisposable {
  writer: StatusWriter;
  store: Store;
  /** What the route statuses of the routes look like, one each, by index. */
  statuses: ObjectStatus[];
  patched: string[];
}

/** See {@linkcode RecordingWriter}; the rate limit is out of the way. */
export function recordingWriter(count: number): RecordingWriter {
  const store = createStore();
  const routes = Array.from({ length: count }, (_, i) =>
    ({
      ...httpRoute(`r${i}`),
      metadata: { name: `r${i}`, namespace: "default", resourceVersion: "1" },
    }) as unknown as GatewayResource);
  store.replaceKind("HTTPRoute", routes);
  const patched: string[] = [];
  const writer = createStatusWriter({
    client: {
      server: "https://127.0.0.1:1",
      request: () => new Promise(() => {}),
      json: <T>(_method: string, path: string) => {
        patched.push(path.split("/").at(-2)!);
        return Promise.resolve({ metadata: { resourceVersion: "2" } } as T);
      },
      close() {},
    },
    store,
    controllerName: CONTROLLER,
    logger: silentLogger,
    rateLimit: { perSecond: 1_000_000, burst: 1_000_000 },
  });
  return {
    writer,
    store,
    statuses: routes.map((_, i) => ({ ...routeStatus(), name: `r${i}` })),
    patched,
    async [Symbol.asyncDispose]() {
      await writer.stop();
      store.close();
    },
  };
}
