import type { NatsConnection } from "@nats-io/transport-node";
import { NatsServer } from "./nats-server.js";
import { newestServerBinary, versionAtLeast } from "./server-binary.js";

/**
 * The newest installed nats-server, started with JetStream's strict API on (2.12+ refuses a field
 * it does not know): the server the strict-API suites create every configuration on, whatever
 * server the rest of the suite runs against.
 * @throws when the newest installed server is older than 2.12
 */
export async function startStrictServer(): Promise<NatsServer> {
  const newest = newestServerBinary();
  if (!versionAtLeast(newest.version, 2, 12)) {
    throw new Error(`needs nats-server 2.12+ (newest installed: ${newest.version.text}): run ./scripts/setup.sh`);
  }
  return NatsServer.start({ binary: newest.binary, strict: true });
}

/**
 * What a server answers to a stream create carrying a field it does not know: with the strict
 * API on, an error naming the unknown field. The strict-API suites check this first, so a server
 * that silently accepts anything cannot make them pass.
 */
export async function unknownFieldReply(nc: NatsConnection): Promise<string> {
  const r = await nc.request(
    "$JS.API.STREAM.CREATE.PROBE",
    JSON.stringify({ name: "PROBE", subjects: ["probe"], not_a_field: 1 }),
  );
  return new TextDecoder().decode(r.data);
}
