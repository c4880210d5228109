import { NatsServer } from "@jetflow/test-harness";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { describe, expect, it } from "vitest";
import { ExchangeError } from "./errors.js";
import { ensureExchangeStream, exchangeSubject } from "./exchange-stream.js";

describe("exchange stream", () => {
  it("is created once per group, checked when it exists, refused with other subjects", async () => {
    await using server = await NatsServer.start();
    const nc = await connect({ servers: server.url });
    try {
      const jsm = await jetstreamManager(nc);
      const info = await ensureExchangeStream(jsm, "orders", { duplicateWindowMs: 60_000 });
      expect(info.config).toMatchObject({
        name: "JF_X_orders",
        subjects: ["jf.x.orders.>"],
        storage: "file",
        retention: "limits",
        duplicate_window: 60_000 * 1_000_000,
      });
      expect((await ensureExchangeStream(jsm, "orders")).config.name).toBe("JF_X_orders");
      expect((await ensureExchangeStream(jsm, "other")).config.duplicate_window).toBe(600_000 * 1_000_000);

      await jsm.streams.add({ name: "JF_X_taken", subjects: ["somewhere.else"] });
      const refused = await ensureExchangeStream(jsm, "taken").catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(ExchangeError);
      expect((refused as ExchangeError).message).toBe(
        'exchange stream JF_X_taken of group "taken" has subjects [somewhere.else], not [jf.x.taken.>]',
      );
      expect((refused as ExchangeError).code).toBe("EXCHANGE_FAILED");
    } finally {
      await nc.close();
    }
  });

  it("names an edge's partition jf.x.<group>.<edge>.<q>, names checked", () => {
    expect(exchangeSubject("orders", "by_region-2", 3)).toBe("jf.x.orders.by_region-2.3");
    expect(() => exchangeSubject("orders", "by.region", 3)).toThrow(
      'edge name "by.region" may only hold letters, digits, "-" and "_"',
    );
    expect(() => exchangeSubject("ord ers", "e", 3)).toThrow(
      'group name "ord ers" may only hold letters, digits, "-" and "_"',
    );
    expect(() => exchangeSubject("orders", "e", -1)).toThrow("partition must be a whole number >= 0, got -1");
  });
});
