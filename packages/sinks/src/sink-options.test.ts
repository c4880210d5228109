import { InvalidOptionError } from "@jetflow/core";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { resolveSinkOptions } from "./sink-options.js";

const base = { connector: "nats", server_url: "localhost:4222", subject: "out", connect_mode: "plain" };

describe("resolveSinkOptions", () => {
  it("accepts RisingWave's NATS sink options and reads the format from FORMAT or type", () => {
    const c = resolveSinkOptions({ ...base, type: "append-only" });
    expect(c.format).toBe("plain");
    expect(c.connection.servers).toEqual(["nats://localhost:4222"]);
    expect(c.target).toMatchObject({ kind: "stream", allowCreateStream: false });
    expect(resolveSinkOptions({ ...base, type: "upsert", primary_key: "a, b" }, "upsert").primaryKey).toEqual([
      "a",
      "b",
    ]);
    expect(
      resolveSinkOptions({ connector: "nats_kv", server_url: "x:1", connect_mode: "plain", bucket: "totals" }).target,
    ).toEqual({
      kind: "kv",
      bucket: "totals",
    });
  });

  it("refuses unknown keys (with a did-you-mean), contradictions and missing options, naming the option", () => {
    const error = (w: Record<string, string>, format?: "plain" | "upsert") => {
      try {
        resolveSinkOptions(w, format);
      } catch (e) {
        expect(e).toBeInstanceOf(InvalidOptionError);
        return e as InvalidOptionError;
      }
      throw new Error("no error");
    };
    expect(error({ ...base, subjet: "x" }, "plain").message).toMatch(/unknown option 'subjet'.*did you mean 'subject'/);
    expect(error({ ...base, stream: "S" }, "plain").message).toMatch(/allow_create_stream/);
    expect(error({ ...base, type: "append-only" }, "upsert").option).toBe("type");
    expect(error({ ...base }).option).toBe("type");
    expect(error({ ...base, subject: "a.*" }, "plain").option).toBe("subject");
    expect(error({ ...base, force_append_only: "yes" }, "plain").option).toBe("force_append_only");
    expect(error({ connector: "nats_kv", server_url: "x:1", connect_mode: "plain" }).option).toBe("bucket");
    expect(error({ ...base, connect_mode: "user_and_password", username: "u" }, "plain").option).toBe("password");
    expect(error({ ...base, connector: "kafka" }, "plain").option).toBe("connector");
  });

  it("never prints the password", () => {
    const c = resolveSinkOptions(
      { ...base, connect_mode: "user_and_password", username: "u", password: "s3cret-pw" },
      "plain",
    );
    expect(JSON.stringify(c)).not.toContain("s3cret-pw");
    expect(inspect(c, { depth: 5 })).not.toContain("s3cret-pw");
  });
});
