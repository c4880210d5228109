import { NatsServer } from "@jetflow/test-harness";
import { jetstreamManager } from "@nats-io/jetstream";
import { Objm } from "@nats-io/obj";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { InvalidOptionError } from "@jetflow/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RestoredCheckpoint } from "./checkpoint-backend.js";
import { CheckpointError } from "./errors.js";
import { KeyedStore } from "./keyed-store.js";
import { natsBackend } from "./nats-backend.js";
import { backendContract, contentsOf, mapsOf, recordOf } from "./testing/backend-contract.js";

let server: NatsServer;
let nc: NatsConnection;
let n = 0;
const freshBucket = () => `ckpt-test-${++n}`;

const open = (url: string) => connect({ servers: url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });

beforeAll(async () => {
  server = await NatsServer.start();
  nc = await open(server.url);
});

afterAll(async () => {
  await nc?.close();
  await server?.dispose();
});

/** Runs `f` (a server restart or resume) and waits until `nc` has reconnected. */
async function reconnectedAfter(f: () => Promise<void>): Promise<void> {
  const status = nc.status();
  const seen = (async () => {
    for await (const s of status) if (s.type === "reconnect") return;
  })();
  await f();
  await seen; // leaving the for-await ends the status iterator
}

async function objectNames(bucket: string): Promise<string[]> {
  const os = await new Objm(nc).open(bucket);
  return (await os.list()).map((i) => i.name).sort();
}

describe("natsBackend", () => {
  backendContract(async () => {
    const bucket = freshBucket();
    let current = await natsBackend(nc, { bucket });
    return {
      backend: current,
      async reopen() {
        await current.close();
        current = await natsBackend(nc, { bucket });
        return current;
      },
      async dispose() {
        await current.close();
      },
    };
  });

  it("a worker on another connection resumes after a server restart between commit and load", async () => {
    const bucket = freshBucket();
    const backend = await natsBackend(nc, { bucket });
    const s = new KeyedStore<unknown>("table");
    for (let i = 0; i < 500; i++) s.set(`k${i}`, [i, BigInt(i) << 40n]);
    await backend.commit(recordOf(1, [s], true));
    s.delete("k1");
    s.set("k2", "two");
    await backend.commit(recordOf(2, [s], false));

    await reconnectedAfter(() => server.restart());

    const other = await open(server.url);
    try {
      const resumed = await natsBackend(other, { bucket });
      const r = (await resumed.load()) as RestoredCheckpoint;
      expect(r.id).toBe(2);
      expect(r.offsets).toEqual(recordOf(2, [], false).offsets);
      expect(contentsOf(r)).toEqual(mapsOf([s]));
      // It continues the chain it loaded.
      s.set("k3", "three");
      await resumed.commit(recordOf(3, [s], false));
      const again = (await (await natsBackend(other, { bucket })).load()) as RestoredCheckpoint;
      expect(again.id).toBe(3);
      expect(again.chunks.get("table")?.map((c) => c.kind)).toEqual(["full", "delta", "delta"]);
      expect(contentsOf(again)).toEqual(mapsOf([s]));
    } finally {
      await other.close();
    }
  });

  it("stores checkpoints larger than the max payload in chunks", async () => {
    const bucket = freshBucket();
    const backend = await natsBackend(nc, { bucket });
    const s = new KeyedStore<unknown>("big");
    for (let i = 0; i < 60_000; i++) s.set(`key-${i}`, `value-${i}-${"x".repeat(40)}`);
    const rec = recordOf(1, [s], true);
    expect(rec.chunks[0]?.bytes.length).toBeGreaterThan(3 * 1024 * 1024);
    await backend.commit(rec);
    const r = (await (await natsBackend(nc, { bucket })).load()) as RestoredCheckpoint;
    expect(contentsOf(r)).toEqual(mapsOf([s]));
  });

  it("falls back when an object of the newest chain is missing", async () => {
    const bucket = freshBucket();
    const backend = await natsBackend(nc, { bucket });
    const s = new KeyedStore<unknown>("s");
    const after: Map<string, Map<string, unknown>>[] = [];
    for (let id = 1; id <= 5; id++) {
      s.set(`k${id}`, id);
      s.delete(`k${id - 2}`);
      await backend.commit(recordOf(id, [s], id === 1 || id === 4));
      after[id] = mapsOf([s]);
    }
    const os = await new Objm(nc).open(bucket);
    await os.delete("checkpoint-4"); // the full checkpoint 5 builds on
    const r = (await (await natsBackend(nc, { bucket })).load()) as RestoredCheckpoint;
    expect(r.id).toBe(3);
    expect(contentsOf(r)).toEqual(after[3]);
  });

  it("keeps the last K full chains and deletes the other objects", async () => {
    const bucket = freshBucket();
    const backend = await natsBackend(nc, { bucket, keep: 1 });
    const s = new KeyedStore<unknown>("s");
    for (let id = 1; id <= 6; id++) {
      s.set(`k${id}`, id);
      await backend.commit(recordOf(id, [s], id % 3 === 1));
    }
    expect(await objectNames(bucket)).toEqual(["checkpoint-4", "checkpoint-5", "checkpoint-6"]);
    const r = (await (await natsBackend(nc, { bucket })).load()) as RestoredCheckpoint;
    expect(r.id).toBe(6);
    expect(contentsOf(r)).toEqual(mapsOf([s]));
  });

  it("a second worker committing to the same bucket gets a conflict, not an interleaved chain", async () => {
    const bucket = freshBucket();
    const a = await natsBackend(nc, { bucket });
    const b = await natsBackend(nc, { bucket });
    const s = new KeyedStore<unknown>("s");
    s.set("a", 1);
    await a.commit(recordOf(1, [s], true));
    const err = await b.commit(recordOf(2, [s], true)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckpointError);
    expect((err as CheckpointError).reason).toBe("conflict");
    expect((err as Error).message).toContain(bucket);
    expect((await (await natsBackend(nc, { bucket })).load())?.id).toBe(1);
  });

  it("a commit while the server is down fails; after it is back a full commit succeeds", async () => {
    const bucket = freshBucket();
    const backend = await natsBackend(nc, { bucket, timeoutMs: 500 });
    const s = new KeyedStore<unknown>("s");
    s.set("a", 1);
    await backend.commit(recordOf(1, [s], true));
    await reconnectedAfter(async () => {
      await server.stop();
      try {
        s.set("b", 2);
        const err = await backend.commit(recordOf(2, [s], false)).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(CheckpointError);
        expect((err as CheckpointError).reason).toBe("write");
      } finally {
        await server.resume();
      }
    });
    // The failed commit's base is uncertain: a delta is refused, a full one goes through.
    await expect(backend.commit(recordOf(3, [s], false))).rejects.toMatchObject({ reason: "chain" });
    await backend.commit(recordOf(4, [s], true));
    const r = (await (await natsBackend(nc, { bucket })).load()) as RestoredCheckpoint;
    expect(r.id).toBe(4);
    expect(contentsOf(r)).toEqual(mapsOf([s]));
  });

  it("validates its options", async () => {
    await expect(natsBackend(nc, { bucket: "no spaces" })).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(natsBackend(nc, { bucket: "ok", keep: 0 })).rejects.toThrow(/keep must be/);
    await expect(natsBackend(nc, { bucket: "ok", timeoutMs: -1 })).rejects.toThrow(/timeoutMs/);
  });

  it("uses a KV bucket and an object store of the given name", async () => {
    const bucket = freshBucket();
    await natsBackend(nc, { bucket });
    const names = [];
    for await (const s of (await jetstreamManager(nc)).streams.list()) names.push(s.config.name);
    expect(names).toEqual(expect.arrayContaining([`KV_${bucket}`, `OBJ_${bucket}`]));
  });
});
