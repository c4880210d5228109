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
