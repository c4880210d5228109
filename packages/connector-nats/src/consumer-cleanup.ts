import { JetStreamApiCodes, jetstreamManager } from "@nats-io/jetstream";
import { type NatsSourceConfig, secretsOf, withRedaction } from "./config.js";
import { connectNats } from "./connect.js";
import { fixedConsumerNames } from "./consumer-config.js";
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
