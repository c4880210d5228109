import { JetStreamApiCodes, type JetStreamManager, jetstreamManager } from "@nats-io/jetstream";
import { type NatsSourceConfig, secretsOf, withRedaction } from "./config.js";
import { connectNats } from "./connect.js";
import { type ConsumerPlan, fixedConsumerNames } from "./consumer-config.js";
import { isApiError, toJetflowError } from "./nats-errors.js";
import { parseServerUrls } from "./server-url.js";

/**
 * The config with `servers` (a `--server` override) in place of `server_url`; TLS is required
 * when a `tls://` URL is among them.
 */
export function withServers(config: NatsSourceConfig, servers: readonly string[] | undefined): NatsSourceConfig {
  if (servers === undefined) return config;
  const list = parseServerUrls("servers", servers);
  return withRedaction({
    ...config,
    servers: list.servers,
    tls: { ...config.tls, required: config.tls.required || list.tls },
  });
}

/**
 * Deletes the consumers a source with this config leaves on the server between runs (durable
 * ones, or a fixed `consumer.name`), on either consumer layout (one multi-filter consumer on
 * 2.10+, one per subject on 2.9), without opening a source: what `DROP SOURCE` / `DROP TABLE`
 * does for a relation that an earlier run created. Consumers or a stream already gone are fine.
 * Returns the names deleted.
 *
 * @example
 * ```ts
 * await removeConsumers(resolveNatsOptions(withOptions)); // ["orders_reader"]
 * ```
 */
export async function removeConsumers(
  config: NatsSourceConfig,
  options: { readonly servers?: readonly string[] | undefined } = {},
): Promise<string[]> {
  const names = fixedConsumerNames(config);
  if (names.length === 0) return [];
  const cfg = withServers(config, options.servers);
  const secrets = secretsOf(cfg);
  const doing = `removing the consumers of stream '${cfg.stream}'`;
  const nc = await connectNats(cfg);
  const removed: string[] = [];
  try {
    const jsm = await jetstreamManager(nc, { checkAPI: false });
    for (const name of names) {
      try {
        await jsm.consumers.delete(cfg.stream, name);
        removed.push(name);
      } catch (e) {
        if (isApiError(e, JetStreamApiCodes.StreamNotFound)) return removed;
        if (!isApiError(e, JetStreamApiCodes.ConsumerNotFound)) {
          throw toJetflowError(e, { doing: `${doing} (consumer '${name}')`, stream: cfg.stream, secrets });
        }
      }
    }
    return removed;
  } finally {
    await nc.close().catch(() => undefined);
  }
}

/**
 * A durable source whose server changed layout (upgraded from 2.9 to 2.10+, or back) finds its
 * position in the other layout's durable consumers: per subject, where each had acked up to
 * (delivered, without acks). Only when none of the planned consumers exists yet; `names` are
 * the consumers found, to delete once the new ones are in place.
 */
export async function otherLayoutPositions(
  jsm: JetStreamManager,
  config: NatsSourceConfig,
  plans: readonly ConsumerPlan[],
): Promise<{ offsets: Map<string, number>; names: string[] }> {
  const offsets = new Map<string, number>();
  const names: string[] = [];
  const planned = new Set(plans.map((p) => p.name));
  const info = async (name: string) => {
    try {
      return await jsm.consumers.info(config.stream, name);
    } catch (e) {
      if (isApiError(e, JetStreamApiCodes.ConsumerNotFound)) return undefined;
      throw e;
    }
  };
  if (config.durableName === undefined) return { offsets, names };
  for (const name of planned) if ((await info(name)) !== undefined) return { offsets, names };
  for (const name of fixedConsumerNames(config)) {
    if (planned.has(name)) continue;
    const ci = await info(name);
    if (ci === undefined) continue;
    names.push(name);
    const floor = ci.config.ack_policy === "none" ? ci.delivered.stream_seq : ci.ack_floor.stream_seq;
    const filters =
      ci.config.filter_subjects ?? (ci.config.filter_subject === undefined ? [] : [ci.config.filter_subject]);
    for (const subject of filters) if (config.subjects.includes(subject)) offsets.set(subject, floor);
  }
  return { offsets, names };
}
