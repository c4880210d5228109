import { InvalidOptionError, wholeNumberOption } from "@jetflow/core";
import {
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamManager,
  RetentionPolicy,
  StorageType,
  type StreamInfo,
} from "@nats-io/jetstream";
import { ExchangeError } from "./errors.js";
import { isNameToken } from "./group-keys.js";

/** Options of {@link ensureExchangeStream}. */
export interface ExchangeStreamOptions {
  /**
   * How long the stream remembers a `Nats-Msg-Id` to drop a second copy: a sealed epoch published
   * again within it is stored once.
   * @default 600_000 (10 minutes)
   */
  readonly duplicateWindowMs?: number;
}

/** The internal stream of group `group`'s exchanges: `JF_X_<group>`. */
export function exchangeStreamName(group: string): string {
  return `JF_X_${checkName("group", group)}`;
}

/** The subjects of group `group`'s exchange stream: `jf.x.<group>.>`. */
export function exchangeSubjects(group: string): string {
  return `jf.x.${checkName("group", group)}.>`;
}

/**
 * The subject of partition `q` of exchange edge `edge` in group `group`: `jf.x.<group>.<edge>.<q>`.
 *
 * @example
 * ```ts
 * exchangeSubject("orders", "by_region", 3); // "jf.x.orders.by_region.3"
 * ```
 */
export function exchangeSubject(group: string, edge: string, q: number): string {
  if (!Number.isInteger(q) || q < 0) throw new RangeError(`partition must be a whole number >= 0, got ${q}`);
  return `jf.x.${checkName("group", group)}.${checkName("edge", edge)}.${q}`;
}

/** A group or edge name: one subject token and part of a stream name (letters, digits, `-`, `_`). */
function checkName(option: "group" | "edge", name: string): string {
  if (!isNameToken(name)) {
    throw new InvalidOptionError(option, `${option} name "${name}" may only hold letters, digits, "-" and "_"`);
  }
  return name;
}

/**
 * Creates group `group`'s exchange stream if absent (file storage, limits retention, subjects
 * `jf.x.<group>.>`, a duplicate window of `duplicateWindowMs`), or checks the one there: a stream
 * of that name with other subjects is an {@link ExchangeError}. Needs nothing newer than 2.9.
 *
 * @example
 * ```ts
 * const info = await ensureExchangeStream(await jetstreamManager(nc), "orders");
 * ```
 */
export async function ensureExchangeStream(
  jsm: JetStreamManager,
  group: string,
  options: ExchangeStreamOptions = {},
): Promise<StreamInfo> {
  const name = exchangeStreamName(group);
  const subjects = [exchangeSubjects(group)];
  const windowMs = wholeNumberOption("duplicateWindowMs", options.duplicateWindowMs, 600_000, 1);
  const existing = await streamInfo(jsm, name);
  if (existing !== undefined) return checked(existing, group, subjects);
  try {
    return await jsm.streams.add({
      name,
      subjects,
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      duplicate_window: windowMs * 1_000_000,
    });
  } catch (e) {
    // Another member created it first: check theirs.
    const raced = await streamInfo(jsm, name);
    if (raced !== undefined) return checked(raced, group, subjects);
    throw new ExchangeError(
      group,
      `exchange stream ${name} of group "${group}" cannot be created: ${(e as Error).message}`,
      { cause: e },
    );
  }
}

async function streamInfo(jsm: JetStreamManager, name: string): Promise<StreamInfo | undefined> {
  try {
    return await jsm.streams.info(name);
  } catch (e) {
    if (e instanceof JetStreamApiError && e.code === JetStreamApiCodes.StreamNotFound) return undefined;
    throw e;
  }
}

function checked(info: StreamInfo, group: string, subjects: readonly string[]): StreamInfo {
  const have = info.config.subjects ?? [];
  if (have.length !== subjects.length || have.some((s, i) => s !== subjects[i])) {
    throw new ExchangeError(
      group,
      `exchange stream ${info.config.name} of group "${group}" has subjects [${have.join(", ")}], not [${subjects.join(", ")}]`,
    );
  }
  return info;
}
