import { jetstreamManager } from "@nats-io/jetstream";
import { describe, expect, it } from "vitest";
import { removeConsumers } from "./consumer-cleanup.js";
import { NatsSource } from "./nats-source.js";
import { collect, configFor, createStream, load, sharedServer } from "./test-helpers.js";

const nats = sharedServer();

async function consumerNames(stream: string): Promise<string[]> {
  const names: string[] = [];
  for await (const ci of (await jetstreamManager(nats.nc)).consumers.list(stream)) names.push(ci.name);
  return names.sort();
}

describe("removeConsumers", () => {
  it("deletes the durable consumers a stopped source left, without opening one; again is a no-op", async () => {
    await createStream(nats.nc, "CLEAN", ["clean.>"]);
    await load(nats.nc, "CLEAN", "clean.a", 3);
    await load(nats.nc, "CLEAN", "clean.b", 3, { expectTotal: 6 });
    const config = configFor(nats.server, "CLEAN", "clean.a,clean.b", { "consumer.durable_name": "cleaner" });
    const source = await NatsSource.open(config);
    await collect(source, (c) => c.sequences.length >= 6);
    await source.stop();
    const left = await consumerNames("CLEAN");
    expect(left.length).toBeGreaterThan(0); // durable: kept across runs
    expect(left.every((n) => n.startsWith("cleaner"))).toBe(true);
    expect((await removeConsumers(config)).sort()).toEqual(left);
    expect(await consumerNames("CLEAN")).toEqual([]);
    expect(await removeConsumers(config)).toEqual([]);
  });

  it("leaves other consumers alone, and a missing stream is nothing to remove", async () => {
    await createStream(nats.nc, "CLEAN2", ["clean2.>"]);
    const jsm = await jetstreamManager(nats.nc);
    await jsm.consumers.add("CLEAN2", { durable_name: "someone_else", ack_policy: "explicit" });
    const config = configFor(nats.server, "CLEAN2", "clean2.a", { "consumer.durable_name": "mine" });
    expect(await removeConsumers(config)).toEqual([]);
    expect(await consumerNames("CLEAN2")).toEqual(["someone_else"]);
    const gone = configFor(nats.server, "NO_SUCH_STREAM", "x.a", { "consumer.durable_name": "mine" });
    expect(await removeConsumers(gone)).toEqual([]);
    // Ephemeral consumers have generated names and die with their source: nothing to name.
    expect(await removeConsumers(configFor(nats.server, "CLEAN2", "clean2.a"))).toEqual([]);
  });
});
