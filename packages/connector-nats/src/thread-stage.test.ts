import { afterAll, describe, expect, it } from "vitest";
import { ReaderThreads } from "./reader-threads.js";
import { createStream, load, sharedServer, withFor } from "./test-helpers.js";
import { ThreadedSource } from "./threaded-source.js";

const nats = sharedServer(async ({ nc }) => {
  await createStream(nc, "STG", ["stg.>"]);
  await load(nc, "STG", "stg.x", 1000, { prefix: "m", expectTotal: 1000 });
});
const threads = new ReaderThreads(1);
afterAll(() => threads.close());

const runtime = { maxBatchRows: 100, pullMessages: 300 };

/** A stage module as a `data:` URL: the reader thread imports it as it would a built module. */
function moduleOf(source: string): string {
  return `data:text/javascript,${encodeURIComponent(source)}`;
}

// Packs each batch as [messages, sum of payload bytes, first payload as text, a transferred sequence column].
const COUNTING = moduleOf(`
  export function createStage(options) {
    return {
      pack(raw) {
        let bytes = 0;
        for (const p of raw.payloads) bytes += p.byteLength;
        const seqs = raw.sequences.slice(0, raw.length);
        return { packed: { tag: options.tag, messages: raw.length, bytes, first: new TextDecoder().decode(raw.payloads[0]), seqs }, transfer: [seqs.buffer] };
      },
    };
  }
`);

describe("a ThreadedSource with a stage: work on each batch in the reader thread", () => {
  it("the main thread gets what the stage packed, unpacked, in order, every message once", async () => {
    const source = await ThreadedSource.open(threads, withFor(nats.server, "STG", "stg.>"), runtime, {
      module: COUNTING,
      options: { tag: "counted" },
      unpack: (p) => p as { tag: string; messages: number; bytes: number; first: string; seqs: Float64Array },
    });
    try {
      const got: { tag: string; messages: number; bytes: number; first: string; seqs: Float64Array }[] = [];
      await new Promise<void>((resolve, reject) => {
        let n = 0;
        const sub = source.batches$.subscribe({
          next: (b) => {
            got.push(b);
            n += b.messages;
            if (n >= 1000) {
              queueMicrotask(() => sub.unsubscribe());
              resolve();
            }
          },
          error: reject,
        });
      });
      expect(got.every((b) => b.tag === "counted" && b.seqs instanceof Float64Array)).toBe(true);
      expect(got.flatMap((b) => [...b.seqs])).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
      expect(got.reduce((s, b) => s + b.messages, 0)).toBe(1000);
      expect(got.reduce((s, b) => s + b.bytes, 0)).toBe(
        Array.from({ length: 1000 }, (_, i) => `m${i}`.length).reduce((a, b) => a + b),
      );
      expect(got[0]?.first).toBe("m0");
      await source.caughtUp();
    } finally {
      await source.stop();
    }
  });

  it("a module without createStage fails the open with a TypeError that names it", async () => {
    const module = moduleOf("export const nothing = 1;");
    const e = await ThreadedSource.open(threads, withFor(nats.server, "STG", "stg.>"), runtime, {
      module,
      options: {},
      unpack: (p) => p,
    }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(Error);
    expect((e as Error).message).toMatch(/exports no createStage function/);
  });

  it("a stage that cannot be built fails the open with its error; one that throws on a batch fails the source", async () => {
    const refusing = moduleOf(`export async function createStage() { throw new Error("no schema here"); }`);
    await expect(
      ThreadedSource.open(threads, withFor(nats.server, "STG", "stg.>"), runtime, {
        module: refusing,
        options: {},
        unpack: (p) => p,
      }),
    ).rejects.toThrow(/no schema here/);

    const throwing = moduleOf(
      `export function createStage() { return { pack() { throw new RangeError("bug in the stage"); } }; }`,
    );
    const source = await ThreadedSource.open(threads, withFor(nats.server, "STG", "stg.>"), runtime, {
      module: throwing,
      options: {},
      unpack: (p) => p,
    });
    let delivered = 0;
    const failed = await new Promise<unknown>((resolve) =>
      source.batches$.subscribe({ next: () => delivered++, error: resolve }),
    );
    expect((failed as Error).message).toMatch(/bug in the stage/);
    expect(delivered).toBe(0);
    await expect(source.stop()).resolves.toBeUndefined();
  });
});
