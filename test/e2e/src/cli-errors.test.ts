import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { NatsServer, userPassword } from "@jetflow/test-harness";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./cli-process.js";

/** A CREATE TABLE over `with`, plus a view. */
function sql(withOptions: Record<string, string>): string {
  const opts = Object.entries(withOptions)
    .map(([k, v]) => `  ${k} = '${v}'`)
    .join(",\n");
  return `CREATE TABLE t (id int PRIMARY KEY, v varchar)\nWITH (\n${opts}\n) FORMAT PLAIN ENCODE JSON;\n`;
}

describe("jetflow run: errors are one clear line and a non-zero exit, quickly", () => {
  let server: NatsServer;
  let dir: string;
  const password = "s3cret-Pa55word-xyz";
  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
  };
  const base = () => ({
    connector: "nats",
    server_url: server.url,
    subject: "t.x",
    stream: "tstream",
    connect_mode: "user_and_password",
    username: "jetflow",
    password,
  });

  beforeAll(async () => {
    server = await NatsServer.start({ auth: userPassword("jetflow", password) });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "jetflow-cli-"));
    const nc = await connect({ servers: server.url, user: "jetflow", pass: password });
    await (await jetstreamManager(nc)).streams.add({ name: "tstream", subjects: ["t.>"] });
    await nc.close();
  });
  afterAll(async () => {
    await server?.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function fails(args: string[], pattern: RegExp, code = 1) {
    const started = Date.now();
    const r = await runCli(args, { timeoutMs: 30_000 });
    expect(r.signal).toBeNull();
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(pattern);
    expect(r.stderr).not.toContain(password);
    expect(r.stdout).not.toContain(password);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.code).toBe(code);
    return Date.now() - started;
  }

  it("a missing file", async () => {
    await fails(["run", path.join(dir, "nope.sql")], /^jetflow: cannot read .*nope\.sql: ENOENT/, 2);
  });

  it("an unknown flag", async () => {
    await fails(["run", "x.sql", "--bogus"], /^jetflow: run: Unknown option '--bogus'/, 2);
  });

  it("a SQL syntax error, with line and column", async () => {
    const file = write("syntax.sql", "CREATE TABLE t (id int PRIMARY KEY\n  v varchar) WITH (connector='nats');");
    await fails(["run", file], /^jetflow: .*syntax\.sql: line 2, column 3: expected/);
  });

  it("an unknown WITH key, before anything connects", async () => {
    const file = write("unknown.sql", sql({ ...base(), "scan.startup.mod": "earliest" }));
    await fails(["run", file, "--until-caught-up"], /scan\.startup\.mod/);
  });

  it("user_and_password without a password", async () => {
    const { password: _omitted, ...rest } = base();
    const file = write("nopass.sql", sql(rest));
    await fails(["run", file, "--until-caught-up"], /password/);
  });

  it("a wrong password", async () => {
    const file = write("wrongpass.sql", sql({ ...base(), password: "not-the-password" }));
    await fails(["run", file, "--until-caught-up"], /authoriz|authentic/i);
  });

  it("a stream that does not exist", async () => {
    const file = write("nostream.sql", sql({ ...base(), stream: "missing_stream" }));
    await fails(["run", file, "--until-caught-up"], /missing_stream/);
  });

  it("a server that is not there", async () => {
    const file = write("noserver.sql", sql({ ...base(), server_url: "127.0.0.1:1" }));
    const ms = await fails(["run", file, "--until-caught-up"], /127\.0\.0\.1:1/);
    expect(ms).toBeLessThan(25_000);
  });

  it("an unknown command", async () => {
    await fails(["frobnicate"], /^jetflow: unknown command "frobnicate"/, 2);
  });
});
