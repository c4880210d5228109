import { harnessServerVersion, NatsServer, versionAtLeast } from "@jetflow/test-harness";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { describe, expect, it } from "vitest";
import { fnv1a32, partitionOf } from "./partition.js";

const N = 16;
// ASCII keys, and non-ASCII ones: the server hashes the UTF-8 bytes, so must partitionOf.
const keys = [
  ...Array.from({ length: 200 }, (_, i) => [`r${i % 7}`, `k${i * 7919}`] as const),
  ...["zürich", "東京", "naïve-😀", "ÅÄÖ"].map((r, i) => [r, `ü${i}`] as const),
];

describe("partitionOf", () => {
  it("is FNV-1a 32 (the reference vectors)", () => {
    const te = new TextEncoder();
    expect(fnv1a32(te.encode(""))).toBe(0x811c9dc5);
    expect(fnv1a32(te.encode("a"))).toBe(0xe40c292c);
    expect(fnv1a32(te.encode("foobar"))).toBe(0xbf9cf968);
  });

  it("equals the server's {{partition(n,...)}} account mapping, message by message", async () => {
    await using server = await NatsServer.start({
      config: `mappings = { "part.*.*": "parted.{{partition(${N},1,2)}}.{{wildcard(1)}}.{{wildcard(2)}}" }`,
    });
    const nc = await connect({ servers: server.url });
    try {
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({ name: "PARTED", subjects: ["parted.>"] });
      for (const [a, b] of keys) nc.publish(`part.${a}.${b}`, "x");
      await nc.flush();
      await expect
        .poll(async () => (await jsm.streams.info("PARTED")).state.messages, { timeout: 20_000 })
        .toBe(keys.length);
      const seen = new Set<number>();
      for (let seq = 1; seq <= keys.length; seq++) {
        const m = (await jsm.streams.getMessage("PARTED", { seq }))!;
        const [, partition, a, b] = m.subject.split(".");
        expect(Number(partition), m.subject).toBe(partitionOf([a!, b!], N));
        seen.add(Number(partition));
      }
      // 204 keys reach every one of 16 partitions: the test compares more than one bucket.
      expect(seen.size).toBe(N);
    } finally {
      await nc.close();
    }
  });

  // Stream subject transforms came with 2.10.
  it.skipIf(!versionAtLeast(harnessServerVersion(), 2, 10))(
    "equals a stream's subject transform with {{partition(n,...)}}",
    async () => {
      await using server = await NatsServer.start();
      const nc = await connect({ servers: server.url });
      try {
        const jsm = await jetstreamManager(nc);
        await jsm.streams.add({
          name: "TX",
          subjects: ["tx.*.*"],
          subject_transform: { src: "tx.*.*", dest: `txp.{{partition(${N},2,1)}}.{{wildcard(1)}}.{{wildcard(2)}}` },
        });
        for (const [a, b] of keys) nc.publish(`tx.${a}.${b}`, "x");
        await nc.flush();
        await expect
          .poll(async () => (await jsm.streams.info("TX")).state.messages, { timeout: 20_000 })
          .toBe(keys.length);
        for (let seq = 1; seq <= keys.length; seq++) {
          const m = (await jsm.streams.getMessage("TX", { seq }))!;
          const [, partition, a, b] = m.subject.split(".");
          // Tokens in the order the mapping lists them: the key is (2, 1) here.
          expect(Number(partition), m.subject).toBe(partitionOf([b!, a!], N));
        }
      } finally {
        await nc.close();
      }
    },
  );

  it("refuses a partition count below 1", () => {
    expect(() => partitionOf(["a"], 0)).toThrow(RangeError);
  });

  it("hashes a key's UTF-8 bytes as fnv1a32 over TextEncoder's, without encoding them (1 to 4 bytes a code point, lone surrogates)", () => {
    const te = new TextEncoder();
    for (const tokens of [["eu", "42"], ["región-ü"], ["😀", "x\u00ff\u0800"], ["\ud800a", "b\udc00"], []]) {
      expect(partitionOf(tokens, 1 << 30), JSON.stringify(tokens)).toBe(
        fnv1a32(te.encode(tokens.join(""))) % (1 << 30),
      );
    }
  });
});
