import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { NatsServer, connectOptions, userPassword } from "@jetflow/test-harness";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../cli-process.js";
import { addStream } from "../sql/publish.js";

/** `jetflow load`: every non-empty line becomes one message, byte for byte; errors are one line. */

/** The payloads stored in `stream`, in order, and how many messages it holds. */
async function storedPayloads(server: NatsServer, stream: string): Promise<string[]> {
  const nc = await connect(connectOptions(server.client));
  try {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(stream);
    const out: string[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
      const m = await jsm.streams.getMessage(stream, { seq });
      if (m !== null) out.push(new TextDecoder().decode(m.data));
    }
    return out;
  } finally {
    await nc.close();
  }
}

async function messageCount(server: NatsServer, stream: string): Promise<number> {
  const nc = await connect(connectOptions(server.client));
  try {
    return (await (await jetstreamManager(nc)).streams.info(stream)).state.messages;
  } finally {
    await nc.close();
  }
}

describe("jetflow load", () => {
  let server: NatsServer;
  let dir: string;
  const password = "Load-pa55word-42";

  beforeAll(async () => {
    server = await NatsServer.start({ auth: userPassword("loader", password) });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "jetflow-load-"));
    await addStream(connectOptions(server.client), "lines", ["lines.>"]);
  });
  afterAll(async () => {
    await server?.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const auth = () => ["--server", server.url, "--user", "loader", "--password", password];

  it("publishes every non-empty line of a file as one message, byte for byte, and reports the count", async () => {
    const lines = ['{"id":1,"name":"ünïcödé 🚀"}', "", "   ", '{"id":2}', "not json at all", '{"id":3}\r'];
    const file = path.join(dir, "small.jsonl");
    fs.writeFileSync(file, `${lines.join("\n")}\n\n`);
    const r = await runCli(["load", ...auth(), "--subject", "lines.small", file]);
    expect(r.stderr).toMatch(
      /^loaded 4 messages into stream lines \(subject lines\.small\) in [\d.]+ s \(\d+ msg\/s\)\n$/,
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    // CRLF line ends are line ends: no \r is published.
    expect(await storedPayloads(server, "lines")).toEqual([
      '{"id":1,"name":"ünïcödé 🚀"}',
      '{"id":2}',
      "not json at all",
      '{"id":3}',
    ]);
  });

  it("loads a large file completely (waits until the stream stored every message)", async () => {
    const file = path.join(dir, "big.jsonl");
    const n = 50_000;
    fs.writeFileSync(
      file,
      Array.from({ length: n }, (_, i) => JSON.stringify({ i, pad: "x".repeat(i % 50) })).join("\n"),
    );
    const before = await messageCount(server, "lines");
    const r = await runCli(["load", ...auth(), "--subject", "lines.big", file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`^loaded ${n} messages into stream lines`));
    expect((await messageCount(server, "lines")) - before).toBe(n);
  });

  it("reads stdin for '-'", async () => {
    const before = await messageCount(server, "lines");
    const r = await runCli(["load", ...auth(), "--subject", "lines.stdin", "-"], {
      input: '{"a":1}\n{"a":2}\n{"a":3}',
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^loaded 3 messages into stream lines \(subject lines\.stdin\)/);
    expect((await messageCount(server, "lines")) - before).toBe(3);
  });

  it("loads nothing from empty input, and says so", async () => {
    const file = path.join(dir, "empty.jsonl");
    fs.writeFileSync(file, "");
    const r = await runCli(["load", ...auth(), "--subject", "lines.empty", file], { timeoutMs: 20_000 });
    expect(r.signal).toBeNull();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^loaded 0 messages/);
  });

  it("--create-stream creates the stream when none captures the subject", async () => {
    const file = path.join(dir, "fresh.jsonl");
    fs.writeFileSync(file, '{"x":1}\n{"x":2}\n');
    const r = await runCli(["load", ...auth(), "--subject", "fresh.events", "--create-stream", "FRESH", file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^loaded 2 messages into stream FRESH \(subject fresh\.events\)/);
    expect(await storedPayloads(server, "FRESH")).toEqual(['{"x":1}', '{"x":2}']);
    // A second load finds the stream it created.
    const again = await runCli(["load", ...auth(), "--subject", "fresh.events", "--create-stream", "FRESH", file]);
    expect(again.code, again.stderr).toBe(0);
    expect(await messageCount(server, "FRESH")).toBe(4);
  });

  async function fails(args: string[], pattern: RegExp, code: number) {
    const r = await runCli(args, { timeoutMs: 30_000 });
    expect(r.signal).toBeNull();
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(pattern);
    expect(r.stderr).not.toContain(password);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.code).toBe(code);
  }

  it("errors: no stream for the subject, missing flags, unreadable file, wrong password", async () => {
    const file = path.join(dir, "one.jsonl");
    fs.writeFileSync(file, "{}\n");
    await fails(
      ["load", ...auth(), "--subject", "nowhere.x", file],
      /^jetflow: load: no stream captures subject "nowhere\.x" \(create one, or pass --create-stream NAME\)/,
      2,
    );
    await fails(["load", "--subject", "lines.x", file], /^jetflow: load: --server is required/, 2);
    await fails(["load", "--server", server.url, file], /^jetflow: load: --subject is required/, 2);
    await fails(
      ["load", ...auth(), "--subject", "lines.x"],
      /^jetflow: load: missing FILE\.jsonl \(use - for stdin\)/,
      2,
    );
    await fails(
      ["load", ...auth(), "--subject", "lines.x", path.join(dir, "missing.jsonl")],
      /^jetflow: cannot read .*missing\.jsonl: ENOENT/,
      2,
    );
    await fails(
      ["load", "--server", server.url, "--user", "loader", "--password", "wrong", "--subject", "lines.x", file],
      /authoriz|authentic/i,
      1,
    );
    await fails(
      ["load", ...auth(), "--subject", "lines.x", "--bogus", file],
      /^jetflow: load: Unknown option '--bogus'/,
      2,
    );
  });
});
