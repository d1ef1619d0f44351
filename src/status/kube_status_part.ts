/**
 * The status side of the kube source, ready for the runtime: leader election
 * when asked (`--leader-elect`) and the status writer fed by the reconciler,
 * both on the API client the source uses too. Matches the runtime's
 * `StatusWriterPart` seam.
 *
 * @example
 * ```ts
 * import { createKubeStatusPart } from "./kube_status_part.ts";
 * import { createKubeClient } from "../kube/client.ts";
 * import { loadKubeConnection } from "../kube/kubeconfig.ts";
 * import { createStore } from "../source/store.ts";
 * import { createLogger } from "../log/logger.ts";
 * const connection = await loadKubeConnection();
 * const part = await createKubeStatusPart({
 *   client: createKubeClient(connection),
 *   namespace: connection.namespace,
 *   store: createStore(),
 *   controllerName: "gateway.serval.dev/controller",
 *   leaderElect: false,
 *   logger: createLogger(),
 * });
 * await part.stop();
 * ```
 * @module
 */
import type { Logger } from "../log/logger.ts";
import type { KubeClient } from "../kube/client.ts";
import type { Store } from "../source/store.ts";
import type { TranslateResult } from "../model/config.ts";
import {
  ALWAYS_LEADER,
  createLeaderElector,
  defaultElectionNamespace,
  type LeaderElector,
  type LeaderElectorOptions,
} from "./leader_election.ts";
import {
  createStatusWriter,
  type StatusWriteOutcome,
  type StatusWriterOptions,
} from "./status_writer.ts";

/** Options of {@linkcode createKubeStatusPart}. */
export interface KubeStatusPartOptions {
  store: Pick<Store, "get" | "onQuietChange">;
  controllerName: string;
  leaderElect: boolean;
  /** Absent: `namespace`, else the pod's, else `default`. */
  leaderElectionNamespace?: string;
  /** The API client the source uses too; the caller closes it. */
  client: KubeClient;
  /** The namespace of the connection (the pod's or the kubeconfig context's). */
  namespace?: string;
  env?: Record<string, string | undefined>;
  logger: Logger;
  /** Timings and Lease name (tests). */
  election?: Partial<
    Pick<
      LeaderElectorOptions,
      "name" | "identity" | "leaseDurationMs" | "renewDeadlineMs" | "retryPeriodMs"
    >
  >;
  writer?: Partial<Pick<StatusWriterOptions, "rateLimit" | "maxConflictRetries">>;
  /** Told each status write outcome (metrics). */
  onWrite?: (outcome: StatusWriteOutcome) => void;
}

/** The part the runtime holds: a sink for results, `/config` extras, and stop. */
export interface KubeStatusPart {
  sink(result: TranslateResult): void;
  extra(): Record<string, unknown>;
  stop(): Promise<void>;
}

/** Starts the election (if enabled) and the writer. */
export async function createKubeStatusPart(
  options: KubeStatusPartOptions,
): Promise<KubeStatusPart> {
  const { client, env } = options;
  let elector: LeaderElector | undefined;
  if (options.leaderElect) {
    const namespace = options.leaderElectionNamespace ?? options.namespace ??
      await defaultElectionNamespace();
    elector = createLeaderElector({
      client,
      namespace,
      logger: options.logger,
      ...options.election,
      identity: options.election?.identity ?? podIdentity(env),
    });
  }
  const writer = createStatusWriter({
    client,
    store: options.store,
    controllerName: options.controllerName,
    logger: options.logger,
    leadership: elector ?? ALWAYS_LEADER,
    onWrite: options.onWrite,
    ...options.writer,
  });
  elector?.start();
  return {
    sink: writer.update,
    extra: () => ({
      leaderElection: elector?.state() ?? { enabled: false, leader: true },
      statusWriter: writer.stats(),
    }),
    async stop() {
      await writer.stop();
      await elector?.stop();
    },
  };
}

function podIdentity(env: Record<string, string | undefined> | undefined): string | undefined {
  const pod = env?.POD_NAME ?? env?.HOSTNAME;
  return pod ? `${pod}_${crypto.randomUUID().slice(0, 8)}` : undefined;
}
