import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { NatsServer } from "@jetflow/test-harness";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { describe, expect, it } from "vitest";
import { runCli } from "../cli-process.js";

/** `jetflow demo` and `jetflow run --verbose` say which nats-server they talk to: one stderr line. */
describe("the server version on stderr", () => {
  it("run --verbose prints it once, run without --verbose does not", async () => {
    await using server = await NatsServer.start();
    const nc = await connect({ servers: server.url });
    await (await jetstreamManager(nc)).streams.add({ name: "ver", subjects: ["ver.>"] });
    nc.publish("ver.a", JSON.stringify({ id: 1 }));
    await nc.flush();
    await nc.close();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "jetflow-ver-"));
    const file = path.join(dir, "ver.sql");
    const source = (name: string) =>
      `CREATE TABLE ${name} (id int PRIMARY KEY) WITH (connector='nats', server_url='${server.url}', subject='ver.a', stream='ver', connect_mode='plain') FORMAT PLAIN ENCODE JSON;\n`;
    fs.writeFileSync(file, source("t1") + source("t2")); // two sources, one server: one line
    const line = new RegExp(
      `^jetflow: nats-server ${server.version.text.replace(/\./g, "\\.")} at 127\\.0\\.0\\.1:${server.port}$`,
      "m",
    );
    const verbose = await runCli(["run", file, "--until-caught-up", "--print", "t1", "--verbose"]);
    expect(verbose.code, verbose.stderr).toBe(0);
    expect(verbose.stderr).toMatch(line);
    expect(verbose.stderr.match(/nats-server/g)).toHaveLength(1);
    expect(verbose.stdout).toBe('{"id":1}\n');
    const quiet = await runCli(["run", file, "--until-caught-up", "--print", "t1"]);
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stderr).toBe("");
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("demo prints it", async () => {
    await using server = await NatsServer.start();
    const r = await runCli(["demo", "--server", server.url, "--duration", "1"], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`demo: nats-server ${server.version.text} at 127.0.0.1:${server.port}\n`);
  });
});
