import { connect } from "@nats-io/transport-node";
import { describe, expect, it } from "vitest";
import { NatsServer } from "./nats-server.js";
import { harnessServerVersion, installedServers, parseServerVersion, versionAtLeast } from "./server-binary.js";

describe("server binaries", () => {
  it("parses what --version and INFO print", () => {
    expect(parseServerVersion("nats-server: v2.9.10\n")).toEqual({ major: 2, minor: 9, patch: 10, text: "2.9.10" });
    expect(parseServerVersion("2.12.0-RC.1").text).toBe("2.12.0");
    expect(() => parseServerVersion("nats-server")).toThrow(/not a nats-server version/);
    expect(versionAtLeast(parseServerVersion("2.10.0"), 2, 10)).toBe(true);
    expect(versionAtLeast(parseServerVersion("2.9.25"), 2, 10)).toBe(false);
    expect(versionAtLeast(parseServerVersion("3.0.0"), 2, 12)).toBe(true);
  });

  it("the harness reports the version the server itself announces, for every installed server", async () => {
    const servers = installedServers();
    expect(servers.length).toBeGreaterThan(0);
    expect(servers.map((s) => s.version.text)).toContain(harnessServerVersion().text);
    for (const { binary, version } of servers) {
      await using server = await NatsServer.start({ binary });
      expect(server.version).toEqual(version);
      const nc = await connect({ servers: server.url });
      expect(nc.info?.version).toBe(version.text);
      await nc.close();
    }
  });
});
