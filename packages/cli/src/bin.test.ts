import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { NatsServer, tls } from "@jetflow/test-harness";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { afterAll, describe, expect, it } from "vitest";

/**
 * How the `jetflow` binary ends: promptly once it printed its last line, even when nats.js left a
 * socket open behind a failed connect, and never before a slow reader got all of its output.
 * Spawns the built binary (`pnpm exec tsc -b packages/cli` writes dist/bin.js).
 */

const BIN = path.resolve(import.meta.dirname, "../dist/bin.js");
/** A run that has not exited by then hung: it is killed and the test fails. */
const KILL_MS = 15_000;

interface Ended {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Milliseconds from the first stderr output to the exit; undefined without stderr output. */
  readonly exitAfterStderrMs: number | undefined;
}

interface Spawned {
  readonly child: ChildProcessWithoutNullStreams;
  /** Starts reading stdout (at once unless `holdStdout`). */
  readonly readStdout: () => void;
  readonly ended: Promise<Ended>;
}

/** Runs `jetflow ARGS`; with `holdStdout` nothing reads its stdout until `readStdout()`, as a slow reader. */
function spawnCli(args: readonly string[], opts: { holdStdout?: boolean } = {}): Spawned {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ["pipe", "pipe", "pipe"] });
  child.stdin.end();
  let stdout = "";
  let stderr = "";
  let stderrAt: number | undefined;
  const readStdout = () => {
    child.stdout.on("data", (b: Buffer) => {
      stdout += b.toString();
    });
    child.stdout.resume();
  };
  if (opts.holdStdout !== true) readStdout();
  child.stderr.on("data", (b: Buffer) => {
    stderrAt ??= performance.now();
    stderr += b.toString();
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), KILL_MS);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, at: performance.now() });
    });
  });
  // 'close' comes once both pipes were read to their end: stdout is complete then.
  const closed = new Promise<void>((resolve) => child.once("close", () => resolve()));
  const ended = (async () => {
    const { code, signal, at } = await exited;
    await closed;
    const exitAfterStderrMs = stderrAt === undefined ? undefined : at - stderrAt;
    return { code, signal, stdout, stderr, exitAfterStderrMs };
  })();
  return { child, readStdout, ended };
}

describe("jetflow exits once it is done", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "jetflow-bin-"));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  function tableSql(name: string, url: string, extra = ""): string {
    const file = path.join(dir, `${name}.sql`);
    fs.writeFileSync(
      file,
      `CREATE TABLE t (id int PRIMARY KEY, v varchar)
WITH (connector = 'nats', server_url = '${url}', subject = 'orders.a', stream = 'orders', connect_mode = 'plain'${extra})
FORMAT PLAIN ENCODE JSON;
`,
    );
    return file;
  }

  it("right after its error line when the connect failed and nats.js left the socket open", async () => {
    // A mutual-TLS server refusing a client without a certificate: nats.js keeps that socket
    // alive, which used to hold the process for two more seconds after the error line.
    const mtls = await tls({ verify: true });
    await using server = await NatsServer.start({ auth: mtls });
    const file = tableSql("mtls", server.url, `, tls.ca_file = '${mtls.client.caFile}'`);
    const r = await spawnCli(["run", file, "--until-caught-up", "--print", "t"]).ended;
    expect(r.signal, `killed after ${KILL_MS} ms: it hung`).toBeNull();
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^jetflow: TLS with .* failed: the server requires a client certificate/);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stdout).toBe("");
    // A generous bound, not a speed claim: the old exit came 2 s after the line, from a fallback timer.
    expect(r.exitAfterStderrMs).toBeLessThan(1500);
  });

  /** A stream `orders` holding `rows` rows of about 500 bytes. */
  async function bigStream(url: string, rows: number): Promise<void> {
    const pad = "x".repeat(500);
    const nc = await connect({ servers: url });
    try {
      await (await jetstreamManager(nc)).streams.add({ name: "orders", subjects: ["orders.>"] });
      const js = jetstream(nc);
      await Promise.all(
        Array.from({ length: rows }, (_, id) => js.publish("orders.a", JSON.stringify({ id, v: `${id}${pad}` }))),
      );
    } finally {
      await nc.close();
    }
  }

  it("quietly when its reader goes away early, as in `jetflow run ... | head`", async () => {
    await using server = await NatsServer.start();
    await bigStream(server.url, 3000);
    const { child, ended } = spawnCli(["run", tableSql("head", server.url), "--until-caught-up", "--print", "t"], {
      holdStdout: true,
    });
    await new Promise<void>((resolve) => child.stdout.once("readable", () => resolve()));
    child.stdout.destroy(); // the reader exits: the next write fails with EPIPE
    const r = await ended;
    expect(r.signal, `killed after ${KILL_MS} ms: it hung`).toBeNull();
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  });

  it("only after a slow reader took all of its output", async () => {
    await using server = await NatsServer.start();
    const rows = 3000;
    await bigStream(server.url, rows);
    const { child, readStdout, ended } = spawnCli(
      ["run", tableSql("big", server.url), "--until-caught-up", "--print", "t"],
      { holdStdout: true },
    );
    // Hold stdout back until the output is there and the process had time to exit: an exit
    // that does not wait for the pipe to drain loses all but the pipe's buffer (64 KiB).
    await new Promise<void>((resolve) => child.stdout.once("readable", () => resolve()));
    await Promise.race([new Promise((resolve) => child.once("exit", resolve)), sleep(1000)]);
    readStdout();
    const r = await ended;
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines).toHaveLength(rows);
    expect(new Set(lines.map((l) => (JSON.parse(l) as { id: number }).id)).size).toBe(rows);
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
