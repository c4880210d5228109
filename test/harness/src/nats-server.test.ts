import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { describe, expect, it } from "vitest";
import { NatsServer } from "./nats-server.js";

describe("NatsServer", () => {
  it("runs JetStream on a free port and keeps the store across a restart", async () => {
    await using server = await NatsServer.start();
    const nc = await connect({ servers: server.url, maxReconnectAttempts: -1, reconnectTimeWait: 50 });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: "S", subjects: ["s.>"] });
    await jsm.jetstream().publish("s.a", "hello");
    const reconnected = (async () => {
      for await (const s of nc.status()) if (s.type === "reconnect") return;
    })();
    await server.restart();
    await reconnected;
    expect((await jsm.streams.info("S")).state.messages).toBe(1);
    await nc.close();
  });

  it("removes its store on dispose", async () => {
    const server = await NatsServer.start();
    const dir = server.dir;
    await server.dispose();
    const fs = await import("node:fs");
    expect(fs.existsSync(dir)).toBe(false);
    expect(server.running).toBe(false);
  });
});
