import { NatsServer } from "@jetflow/test-harness";
import { type JetStreamClient, type JetStreamManager, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll } from "vitest";

/** A real nats-server for the tests around it, with a connection and its JetStream handles. */
export interface ServerFixture {
  readonly server: NatsServer;
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
}

/**
 * Starts a nats-server (free port, temporary store) before the tests of the file or `describe`
 * block that calls it, connects to it, and stops both after them. Read the fields inside tests
 * and hooks: they are set once `beforeAll` ran.
 *
 * @example
 * ```ts
 * const fx = useServer();
 * it("publishes", async () => { await fx.js.publish("a", "x"); });
 * ```
 */
export function useServer(): ServerFixture {
  const fixture = {} as { server: NatsServer; nc: NatsConnection; js: JetStreamClient; jsm: JetStreamManager };
  beforeAll(async () => {
    fixture.server = await NatsServer.start();
    fixture.nc = await connect({ servers: fixture.server.url });
    fixture.js = jetstream(fixture.nc);
    fixture.jsm = await jetstreamManager(fixture.nc);
  });
  afterAll(async () => {
    await fixture.nc?.close();
    await fixture.server?.dispose();
  });
  return fixture;
}
