import type { NatsConnection } from "@nats-io/transport-node";

/**
 * What the connected nats-server can do, from its version (`INFO.version`): jetflow
 * feature-detects instead of assuming, and never sends a field an older server does not know
 * (2.9 silently ignores `filter_subjects`; 2.12+ in strict mode rejects unknown fields).
 *
 * @example
 * ```ts
 * const f = serverFeatures("2.10.3");
 * f.multiFilter; // true: several subjects are one consumer with filter_subjects
 * f.priorityGroups; // false: 2.11+
 * ```
 */
export interface ServerFeatures {
  /** The server's version, `major.minor.patch`. */
  readonly version: string;
  /** 2.10+: one consumer filters several subjects (`filter_subjects`), one sequence space. */
  readonly multiFilter: boolean;
  /** 2.11+: consumer priority groups (pinned clients, overflow) and `consumer.pause`. */
  readonly priorityGroups: boolean;
  /** 2.12+: atomic batch publish (`Nats-Batch-Id`). */
  readonly atomicBatch: boolean;
  /** 2.12+: the JetStream API can reject unknown request fields (`jetstream { strict: true }`). */
  readonly strictApi: boolean;
}

/** The features of a server version string such as `2.9.10` or `2.12.0-RC.1`. */
export function serverFeatures(version: string): ServerFeatures {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version);
  const [major, minor, patch] = m === null ? [0, 0, 0] : [Number(m[1]), Number(m[2]), Number(m[3])];
  const atLeast = (ma: number, mi: number) => major > ma || (major === ma && minor >= mi);
  return {
    version: `${major}.${minor}.${patch}`,
    multiFilter: atLeast(2, 10),
    priorityGroups: atLeast(2, 11),
    atomicBatch: atLeast(2, 12),
    strictApi: atLeast(2, 12),
  };
}

/**
 * The features of the server a connection talks to (what its INFO announced; after a reconnect
 * to another cluster member, that member's).
 */
export function featuresOf(nc: NatsConnection): ServerFeatures {
  return serverFeatures(nc.info?.version ?? "0.0.0");
}
