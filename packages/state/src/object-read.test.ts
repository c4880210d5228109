import { NatsServer } from "@jetflow/test-harness";
import { type JetStreamManager, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { type ObjectStore, Objm } from "@nats-io/obj";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readObject } from "./object-read.js";
import { CorruptRecordError } from "./record-codec.js";

let server: NatsServer;
let nc: NatsConnection;
let jsm: JetStreamManager;
let n = 0;

beforeAll(async () => {
  server = await NatsServer.start();
  nc = await connect({ servers: server.url });
  jsm = await jetstreamManager(nc);
});

afterAll(async () => {
  await nc?.close();
  await server?.dispose();
});

const freshStore = () => new Objm(nc).create(`read-${++n}`);
const bytesOf = (size: number, seed: number) => Uint8Array.from({ length: size }, (_, i) => (i * 31 + seed) & 0xff);

/** The object's meta subject, as the object store names it (the name in padded base64url). */
function metaSubject(bucket: string, name: string): string {
  const b64 = Buffer.from(name).toString("base64url");
  return `$O.${bucket}.M.${b64.padEnd(Math.ceil(b64.length / 4) * 4, "=")}`;
}

/** Puts `data` as object `name` in chunks of `chunk` bytes; returns its chunk subject. */
async function put(os: ObjectStore, name: string, data: Uint8Array, chunk = 128 * 1024): Promise<string> {
  const info = await os.put(
    { name, options: { max_chunk_size: chunk } },
    new ReadableStream({
      start(c) {
        c.enqueue(data);
        c.close();
      },
    }),
  );
  return `$O.${info.bucket}.C.${info.nuid}`;
}

describe("readObject", () => {
  it("reads an object of one chunk, of many, and an empty one, as the object store wrote them", async () => {
    const os = await freshStore();
    const one = bytesOf(5000, 1);
    const many = bytesOf(10_000, 2);
    await put(os, "one", one);
    await put(os, "many", many, 999); // 11 chunks, the last one short
    await put(os, "empty", new Uint8Array(0));
    expect(await readObject(jsm, os, "one")).toEqual(one);
    expect(await readObject(jsm, os, "many")).toEqual(many);
    expect(await readObject(jsm, os, "many")).toEqual(await os.getBlob("many"));
    expect(await readObject(jsm, os, "empty")).toEqual(new Uint8Array(0));
  });

  it("reads the object's latest version, with other objects' chunks between its own", async () => {
    const os = await freshStore();
    await put(os, "a", bytesOf(3000, 3), 1000);
    await put(os, "b", bytesOf(3000, 4), 1000);
    const latest = bytesOf(2500, 5);
    await put(os, "a", latest, 700); // replaces a's chunks
    expect(await readObject(jsm, os, "a")).toEqual(latest);
    expect(await readObject(jsm, os, "b")).toEqual(bytesOf(3000, 4));
  });

  it("is null for an object that never was, or was deleted", async () => {
    const os = await freshStore();
    await put(os, "gone", bytesOf(10, 6));
    await os.delete("gone");
    expect(await readObject(jsm, os, "never")).toBeNull();
    expect(await readObject(jsm, os, "gone")).toBeNull();
  });

  it("leaves no consumer on the bucket's stream, however many reads (get() leaves one each)", async () => {
    const os = await freshStore();
    await put(os, "x", bytesOf(300, 7), 100);
    const stream = `OBJ_read-${n}`;
    // More reads than the server lets a stream have consumers (1,000 on current servers).
    for (let round = 0; round < 12; round++) {
      const reads = await Promise.all(Array.from({ length: 100 }, () => readObject(jsm, os, "x")));
      for (const r of reads) expect(r).toEqual(bytesOf(300, 7));
    }
    expect((await jsm.streams.info(stream)).state.consumer_count).toBe(0);
    await os.getBlob("x");
    expect((await jsm.streams.info(stream)).state.consumer_count).toBe(1); // what this avoids
  });

  it("refuses an object whose chunks went missing, or whose bytes are not the digest recorded", async () => {
    const os = await freshStore();
    const bucket = `read-${n}`;
    const chunks = await put(os, "torn", bytesOf(3000, 8), 1000);
    await jsm.streams.purge(`OBJ_${bucket}`, { filter: chunks, keep: 1 });
    await expect(readObject(jsm, os, "torn")).rejects.toThrow(CorruptRecordError);
    await expect(readObject(jsm, os, "torn")).rejects.toThrow(/its chunks hold 1000 bytes, 3000 recorded/);

    await put(os, "forged", bytesOf(100, 9));
    const meta = await jsm.streams.getMessage(`OBJ_${bucket}`, { last_by_subj: metaSubject(bucket, "forged") });
    expect(meta).not.toBeNull();
    const info = meta?.json<Record<string, unknown>>() ?? {};
    const digest = `SHA-256=${Buffer.alloc(32, 1).toString("base64url")}`;
    await jetstream(nc).publish(metaSubject(bucket, "forged"), JSON.stringify({ ...info, digest }));
    await expect(readObject(jsm, os, "forged")).rejects.toThrow(/SHA-256 digest is not the one recorded/);
  });
});
