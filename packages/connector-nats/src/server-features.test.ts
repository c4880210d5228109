import { harnessServerVersion, NatsServer, versionAtLeast } from "@jetflow/test-harness";
import { connect } from "@nats-io/transport-node";
import { describe, expect, it } from "vitest";
import { featuresOf, serverFeatures } from "./server-features.js";

describe("serverFeatures", () => {
  it("turns on each feature at the release that brought it", () => {
    const flags = (v: string) => {
      const { version: _, ...f } = serverFeatures(v);
      return f;
    };
    expect(flags("2.9.10")).toEqual({
      multiFilter: false,
      priorityGroups: false,
      atomicBatch: false,
      strictApi: false,
    });
    expect(flags("2.10.0")).toEqual({ multiFilter: true, priorityGroups: false, atomicBatch: false, strictApi: false });
    expect(flags("2.11.4")).toEqual({ multiFilter: true, priorityGroups: true, atomicBatch: false, strictApi: false });
    expect(flags("2.12.0-RC.2")).toEqual({
      multiFilter: true,
      priorityGroups: true,
      atomicBatch: true,
      strictApi: true,
    });
    expect(flags("3.0.0")).toEqual({ multiFilter: true, priorityGroups: true, atomicBatch: true, strictApi: true });
    expect(serverFeatures("v2.12.1").version).toBe("2.12.1");
    // Unknown: assume the oldest, so nothing a server may not know is sent.
    expect(flags("garbage")).toEqual({
      multiFilter: false,
      priorityGroups: false,
      atomicBatch: false,
      strictApi: false,
    });
  });

  it(`reads the version the harness server (${harnessServerVersion().text}) announces`, async () => {
    await using server = await NatsServer.start();
    const nc = await connect({ servers: server.url });
    const f = featuresOf(nc);
    expect(f.version).toBe(server.version.text);
    expect(f.multiFilter).toBe(versionAtLeast(server.version, 2, 10));
    expect(f.strictApi).toBe(versionAtLeast(server.version, 2, 12));
    await nc.close();
  });
});
