import { InvalidOptionError } from "@jetflow/core";
import { describe, expect, it } from "vitest";
import { parseServerUrls } from "./server-url.js";

describe("parseServerUrls", () => {
  it("normalizes host:port, host, nats:// and tls:// (IPv6 too)", () => {
    expect(parseServerUrls("server_url", ["127.0.0.1:4222", "h", "nats://x:1", "TLS://y:2", "[::1]:4222"])).toEqual({
      servers: ["nats://127.0.0.1:4222", "nats://h:4222", "nats://x:1", "tls://y:2", "nats://[::1]:4222"],
      tls: true,
    });
  });

  it("refuses other schemes, paths, credentials and an empty list", () => {
    for (const bad of [["http://a:1"], ["a:1/x"], ["u:p@a:1"], ["nats://u:secret@a:1"], []]) {
      expect(() => parseServerUrls("server_url", bad)).toThrow(InvalidOptionError);
    }
  });
});
