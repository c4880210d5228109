import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DeliveryInfo } from "./delivery-info.js";

describe("DeliveryInfo", () => {
  it("parses the 2.9 reply subject", () => {
    const d = new DeliveryInfo();
    expect(d.parse("$JS.ACK.S.d1.2.11.6.1795250240626633302.4")).toBe(true);
    expect([d.deliveryCount, d.streamSequence, d.deliverySequence, d.timestampUs, d.pending]).toEqual([
      2, 11, 6, 1795250240626633, 4,
    ]);
  });

  it("parses the 2.10+ form with domain, account hash and random token", () => {
    const d = new DeliveryInfo();
    expect(d.parse("$JS.ACK.hub.ACCHASH.S.c.1.42.7.1700000000123456789.0.XyZ")).toBe(true);
    expect([d.streamSequence, d.deliverySequence, d.timestampUs, d.pending]).toEqual([42, 7, 1700000000123456, 0]);
    expect(d.parse("$JS.ACK._.HASH.S.c.1.43.8.1700000000123456789.5")).toBe(true);
    expect(d.streamSequence).toBe(43);
  });

  it("rejects subjects that are not JetStream acks", () => {
    const d = new DeliveryInfo();
    expect(d.parse("_INBOX.abc.1")).toBe(false);
    expect(d.parseBytes(new TextEncoder().encode("_INBOX.abc.1.2.3.4.5.6.7"))).toBe(false);
    expect(d.parse("$JS.ACK.S.c.1.2")).toBe(false);
    expect(d.parse("")).toBe(false);
  });

  it("agrees with the fields it was built from (property)", () => {
    const d = new DeliveryInfo();
    const name = fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/);
    const int = fc.integer({ min: 1, max: 2 ** 40 });
    fc.assert(
      fc.property(
        name,
        name,
        int,
        int,
        int,
        fc.bigInt({ min: 10n ** 15n, max: 2n ** 62n }),
        fc.nat(),
        (s, c, dc, sseq, dseq, ns, pending) => {
          expect(d.parse(`$JS.ACK.${s}.${c}.${dc}.${sseq}.${dseq}.${ns}.${pending}`)).toBe(true);
          expect(d.deliveryCount).toBe(dc);
          expect(d.streamSequence).toBe(sseq);
          expect(d.deliverySequence).toBe(dseq);
          expect(d.timestampUs).toBe(Number(ns / 1000n));
          expect(d.pending).toBe(pending);
        },
      ),
    );
  });

  it("parseBytes, which reuses the last reply's prefix, agrees with a fresh full parse (property)", () => {
    const fresh = (reply: string) => {
      const d = new DeliveryInfo();
      const ok = d.parse(reply);
      return ok ? [d.deliveryCount, d.streamSequence, d.deliverySequence, d.timestampUs, d.pending] : false;
    };
    const name = fc.constantFrom("S", "c", "12", "3", "bench_1", "jetflow-x");
    const num = fc.oneof(fc.integer({ min: 0, max: 2 ** 40 }).map(String), fc.constantFrom("", "x", "1x", "007"));
    const reply = fc
      .tuple(
        fc.constantFrom("old", "new", "token", "junk"),
        name,
        name,
        name,
        name,
        fc.array(num, { minLength: 5, maxLength: 5 }),
        fc.bigInt({ min: 0n, max: 2n ** 62n }),
      )
      .map(([form, a, b, s, c, [dc, sseq, dseq, , pending], ns]) => {
        const tail = `${dc}.${sseq}.${dseq}.${ns}.${pending}`;
        if (form === "old") return `$JS.ACK.${s}.${c}.${tail}`;
        if (form === "new") return `$JS.ACK.${a}.${b}.${s}.${c}.${tail}`;
        if (form === "token") return `$JS.ACK.${a}.${b}.${s}.${c}.${tail}.${a}${b}`;
        return `$JS.ACK.${s}.${c}.${tail}.${a}`;
      });
    const encoder = new TextEncoder();
    fc.assert(
      fc.property(fc.array(reply, { minLength: 1, maxLength: 12 }), (replies) => {
        const d = new DeliveryInfo();
        for (const r of replies) {
          const ok = d.parseBytes(encoder.encode(r));
          const got = ok ? [d.deliveryCount, d.streamSequence, d.deliverySequence, d.timestampUs, d.pending] : false;
          expect(got, r).toEqual(fresh(r));
        }
      }),
      { numRuns: 500 },
    );
  });
});
