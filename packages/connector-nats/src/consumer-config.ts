import type { ConsumerConfig } from "@nats-io/jetstream";
import { nanos, nuid } from "@nats-io/transport-node";
import type { NatsConsumerOptions, NatsSourceConfig, StartupMode } from "./config.js";

/** Where a consumer starts: the JetStream deliver policy and its argument. */
export type StartAt =
  | { readonly deliver_policy: "all" }
  | { readonly deliver_policy: "new" }
  | { readonly deliver_policy: "by_start_time"; readonly opt_start_time: string }
  | { readonly deliver_policy: "by_start_sequence"; readonly opt_start_seq: number };

/** The deliver policy of a `scan.startup.mode`. */
export function startOf(startup: StartupMode): StartAt {
  switch (startup.mode) {
    case "earliest":
      return { deliver_policy: "all" };
    case "latest":
      return { deliver_policy: "new" };
    case "timestamp":
      return { deliver_policy: "by_start_time", opt_start_time: new Date(startup.millis).toISOString() };
    case "sequence":
      return { deliver_policy: "by_start_sequence", opt_start_seq: startup.sequence };
  }
}

/** Start right at a stream sequence (a resume point, or a recreated consumer). */
export function startAtSequence(seq: number): StartAt {
  return { deliver_policy: "by_start_sequence", opt_start_seq: Math.max(1, seq) };
}

/** How a source's subjects map onto consumers: which subjects each one filters, and its name. */
export interface ConsumerPlan {
  readonly subjects: readonly string[];
  readonly name: string;
}

/**
 * The source's consumers. With `multiFilter` (nats-server 2.10+) ONE consumer filters every
 * subject (`filter_subjects`: one sequence space, fewer consumers); otherwise one consumer per
 * subject, in subject order. Durable names are stable across restarts (`consumer.durable_name`,
 * suffixed per subject when there are several per-subject consumers); ephemeral ones are
 * `consumer.name` or generated per open.
 */
export function consumerPlan(
  config: NatsSourceConfig,
  sourceName: string | undefined,
  multiFilter: boolean,
): ConsumerPlan[] {
  const base =
    config.durableName ?? config.consumer.name ?? `jetflow_${slug(sourceName ?? "source")}_${nuid.next().slice(-8)}`;
  if (config.subjects.length === 1 || multiFilter) return [{ subjects: config.subjects, name: base }];
  return config.subjects.map((s) => ({ subjects: [s], name: perSubjectName(base, s) }));
}

/**
 * Every name a fixed-name (durable or `consumer.name`) consumer of this config can have on the
 * server, on either layout: what removing a dropped relation's consumers deletes. Empty for
 * generated names, which die with their source (or their inactive threshold).
 */
export function fixedConsumerNames(config: NatsSourceConfig): string[] {
  const base = config.durableName ?? config.consumer.name;
  if (base === undefined) return [];
  if (config.subjects.length === 1) return [base];
  return [base, ...config.subjects.map((s) => perSubjectName(base, s))];
}

function perSubjectName(base: string, subject: string): string {
  return `${base}_${slug(subject)}_${hash(subject)}`;
}

/** The filter a consumer's config carries: `filter_subject` for one, `filter_subjects` (2.10+) for several. */
export function filterOf(subjects: readonly string[]): Pick<ConsumerConfig, "filter_subject" | "filter_subjects"> {
  return subjects.length === 1 ? { filter_subject: subjects[0]! } : { filter_subjects: [...subjects] };
}

/** True when an existing consumer filters exactly `subjects` (in any order). */
export function sameFilter(existing: Partial<ConsumerConfig>, subjects: readonly string[]): boolean {
  const theirs = existing.filter_subjects ?? (existing.filter_subject === undefined ? [] : [existing.filter_subject]);
  return theirs.length === subjects.length && subjects.every((s) => theirs.includes(s));
}

/**
 * The JetStream config of one consumer: pull, filtered on `subjects`, with the `consumer.*`
 * options (seconds turned into nanoseconds). Only fields that are set are sent: a 2.12+ server
 * in strict mode rejects unknown ones, and a field left out keeps the server's default.
 */
export function consumerConfig(
  config: NatsSourceConfig,
  name: string,
  subjects: readonly string[],
  start: StartAt,
): Partial<ConsumerConfig> {
  const c: NatsConsumerOptions = config.consumer;
  const cfg: Partial<ConsumerConfig> = {
    name,
    ...filterOf(subjects),
    ack_policy: c.ack_policy,
    ...start,
  };
  if (config.durableName !== undefined) cfg.durable_name = name;
  if (c.ack_wait_sec !== undefined) cfg.ack_wait = nanos(c.ack_wait_sec * 1000);
  if (c.max_ack_pending !== undefined) cfg.max_ack_pending = c.max_ack_pending;
  if (c.max_deliver !== undefined) cfg.max_deliver = c.max_deliver;
  if (c.max_batch !== undefined) cfg.max_batch = c.max_batch;
  if (c.max_bytes !== undefined) cfg.max_bytes = c.max_bytes;
  if (c.max_waiting !== undefined) cfg.max_waiting = c.max_waiting;
  if (c.max_expires_sec !== undefined) cfg.max_expires = nanos(c.max_expires_sec * 1000);
  if (c.inactive_threshold_sec !== undefined) cfg.inactive_threshold = nanos(c.inactive_threshold_sec * 1000);
  if (c.description !== undefined) cfg.description = c.description;
  if (c.replay_policy !== undefined) cfg.replay_policy = c.replay_policy;
  if (c.sample_frequency !== undefined) cfg.sample_freq = `${c.sample_frequency}%`;
  if (c.headers_only !== undefined) cfg.headers_only = c.headers_only;
  if (c.num_replicas !== undefined) cfg.num_replicas = c.num_replicas;
  if (c.memory_storage !== undefined) cfg.mem_storage = c.memory_storage;
  if (c.backoff_sec !== undefined) cfg.backoff = c.backoff_sec.map((s) => nanos(s * 1000));
  return cfg;
}

/** Consumer names allow letters, digits, `-` and `_`. */
function slug(s: string): string {
  return s.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 32);
}

/** FNV-1a, base 36: keeps `a.b` and `a_b` apart after slugging. */
function hash(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(36);
}
