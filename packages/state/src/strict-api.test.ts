import { connectOptions, type NatsServer, startStrictServer, unknownFieldReply } from "@jetflow/test-harness";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RestoredCheckpoint } from "./checkpoint-backend.js";
import { KeyedStore } from "./keyed-store.js";
import { natsBackend } from "./nats-backend.js";
import { contentsOf, mapsOf, recordOf } from "./testing/backend-contract.js";

/**
 * Every bucket configuration the NATS checkpoint backend creates (a KV bucket for the manifest, an
 * object store for the checkpoints) and every request it makes, on the newest installed server with
 * JetStream's strict API on (2.12+ refuses a field it does not know).
 */
describe("the NATS checkpoint backend on the strict JetStream API of the newest server", () => {
  let server: NatsServer;
  let nc: NatsConnection;
  beforeAll(async () => {
    server = await startStrictServer();
    nc = await connect(connectOptions(server.client));
  });
  afterAll(async () => {
    await nc?.close();
    await server?.dispose();
  });

  it("is strict: a stream field the server does not know is refused", async () => {
    expect(await unknownFieldReply(nc)).toMatch(/unknown field/);
  });

  for (const [label, options] of [
    ["the defaults", {}],
    ["every option", { keep: 1, replicas: 1, timeoutMs: 10_000 }],
  ] as const) {
    it(`creates both buckets with ${label}, commits full, delta and chunked checkpoints, prunes and loads`, async () => {
      const bucket = `strict-${label.replaceAll(" ", "-")}`;
      const backend = await natsBackend(nc, { bucket, ...options });
      const jsm = await jetstreamManager(nc);
      expect((await jsm.streams.info(`KV_${bucket}`)).config.max_msgs_per_subject).toBe(1);
      expect((await jsm.streams.info(`OBJ_${bucket}`)).config.subjects).toEqual([
        `$O.${bucket}.C.>`,
        `$O.${bucket}.M.>`,
      ]);
      const s = new KeyedStore<unknown>("s");
      for (let id = 1; id <= 4; id++) {
        s.set(`k${id}`, id);
        await backend.commit(recordOf(id, [s], id === 1 || id === 3));
      }
      // Larger than the max payload: stored in chunks.
      for (let i = 0; i < 30_000; i++) s.set(`big-${i}`, `value-${i}-${"x".repeat(40)}`);
      await backend.commit(recordOf(5, [s], true));
      await backend.close();
      // Opening the existing buckets again (create() on an existing bucket) and loading.
      const reopened = await natsBackend(nc, { bucket, ...options });
      const restored = (await reopened.load()) as RestoredCheckpoint;
      expect(restored.id).toBe(5);
      expect(contentsOf(restored)).toEqual(mapsOf([s]));
      await reopened.close();
    });
  }
});
