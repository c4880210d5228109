import { NatsServer } from "@jetflow/test-harness";
import { afterEach, describe, expect, it } from "vitest";
import { NatsSource } from "./nats-source.js";
import {
  adminConnection,
  collect,
  configFor,
  createStream,
  type FreezableProxy,
  freezableProxy,
  load,
  range,
} from "./test-helpers.js";

/** A server that dies the moment a source asks it to create a consumer, and comes back 300 ms later. */
async function dyingAtConsumerCreate(server: NatsServer): Promise<{ proxy: FreezableProxy; died: Promise<void> }> {
  let tripped = false;
  let died: () => void = () => {};
  const diedP = new Promise<void>((r) => {
    died = r;
  });
  const proxy = await freezableProxy(server.port, (chunk) => {
    if (tripped || !/\$JS\.API\.CONSUMER\.(DURABLE\.)?CREATE/.test(chunk.toString("latin1"))) return;
    tripped = true;
    void (async () => {
      await server.kill();
      await new Promise((r) => setTimeout(r, 300));
      await server.resume();
      died();
    })();
  });
  return { proxy, died: diedP };
}

describe("a server outage while open() creates the consumers", () => {
  let server: NatsServer | undefined;
  let proxy: FreezableProxy | undefined;
  afterEach(async () => {
    await proxy?.close();
    await server?.dispose();
  });

  for (const durable of [false, true]) {
    it(`is retried with backoff, and the source then reads every message once (${durable ? "durable" : "ephemeral"})`, async () => {
      server = await NatsServer.start();
      const nc = await adminConnection(server);
      await createStream(nc, "OUT", ["out.>"]);
      await load(nc, "OUT", "out.a", 50);
      await load(nc, "OUT", "out.b", 50, { expectTotal: 100 });
      await nc.close();
      const trap = await dyingAtConsumerCreate(server);
      proxy = trap.proxy;
      const extra: Record<string, string> = durable ? { "consumer.durable_name": "outage" } : {};
      const config = configFor(server, "OUT", "out.a,out.b", { ...extra, server_url: proxy.url });
      const source = await NatsSource.open(config);
      await trap.died; // the outage did happen during open()
      const c = await collect(source, (x) => x.sequences.length >= 100);
      await source.caughtUp();
      expect([...c.sequences].sort((a, b) => a - b)).toEqual(range(1, 100));
      await source.drop();
    });
  }

  it("still fails at once on a refusal: a missing stream is not an outage", async () => {
    server = await NatsServer.start();
    // (Retried, it would outlast the test's timeout: the retry budget is 60 s.)
    await expect(NatsSource.open(configFor(server, "NO_STREAM", "x.a"))).rejects.toThrow(/does not exist/);
  });
});
