import { freePort, NatsServer, userPassword, versionAtLeast } from "@jetflow/test-harness";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { describe, expect, it } from "vitest";
import { runCli } from "../cli-process.js";

/** The report's line for a check: `ok   name   detail` or `FAIL name   detail`. */
function line(stdout: string, name: string): string {
  const found = stdout.split("\n").find((l) => l.slice(5).startsWith(`${name} `));
  if (found === undefined) throw new Error(`no '${name}' line in:\n${stdout}`);
  return found;
}

describe("jetflow doctor", () => {
  it("reports reachable, the version, JetStream on and the features of this server version", async () => {
    await using server = await NatsServer.start();
    const r = await runCli(["doctor", "--server", server.url]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(line(r.stdout, "reachable")).toMatch(/^ok /);
    expect(line(r.stdout, "version")).toContain(`nats-server ${server.version.text}`);
    expect(line(r.stdout, "jetstream")).toMatch(/^ok +jetstream +on/);
    const yes = (major: number, minor: number) => (versionAtLeast(server.version, major, minor) ? "yes" : "no");
    const features = line(r.stdout, "features");
    expect(features).toContain(`multi-filter consumers ${yes(2, 10)}`);
    expect(features).toContain(`priority groups ${yes(2, 11)}`);
    expect(features).toContain(`atomic batch publish ${yes(2, 12)}`);
    expect(features).toContain(`strict API ${yes(2, 12)}`);
  });

  it("checks the connecting user's permissions on a stream's subject, and never prints the password", async () => {
    const password = "Doctor-pa55word-77";
    await using server = await NatsServer.start({
      auth: userPassword("doc", password, { denySubscribe: ["orders.secret"] }),
    });
    const nc = await connect({ servers: server.url, user: "doc", pass: password });
    await (await jetstreamManager(nc)).streams.add({ name: "orders", subjects: ["orders.>"] });
    await nc.close();
    const check = (stream: string, subject: string) =>
      runCli([
        "doctor",
        "--server",
        server.url,
        "--user",
        "doc",
        "--password",
        password,
        "--stream",
        stream,
        "--subject",
        subject,
      ]);

    const allowed = await check("orders", "orders.new");
    expect(allowed.code, allowed.stdout + allowed.stderr).toBe(0);
    expect(line(allowed.stdout, "stream")).toMatch(/^ok .*'orders' \(subjects: orders\.>\)/);
    expect(line(allowed.stdout, "subscribe")).toMatch(/^ok .*'orders\.new' allowed/);
    expect(line(allowed.stdout, "create consumer")).toMatch(/^ok /);

    const denied = await check("orders", "orders.secret");
    expect(denied.code).toBe(1);
    expect(line(denied.stdout, "subscribe")).toMatch(/^FAIL .*may not subscribe to 'orders\.secret'/);

    const missing = await check("nope", "x.y");
    expect(missing.code).toBe(1);
    expect(line(missing.stdout, "stream")).toMatch(/^FAIL .*'nope'/);

    const wrong = await runCli(["doctor", "--server", server.url, "--user", "doc", "--password", "not-it-at-all"]);
    expect(wrong.code).toBe(1);
    expect(line(wrong.stdout, "reachable")).toMatch(/^FAIL /);
    for (const r of [allowed, denied, missing, wrong]) expect(r.stdout + r.stderr).not.toContain(password);
    expect(wrong.stdout + wrong.stderr).not.toContain("not-it-at-all");
  });

  it("an unreachable URL is one FAIL line and exit 1", async () => {
    const port = await freePort(); // nothing listens there
    const r = await runCli(["doctor", "--server", `nats://127.0.0.1:${port}`]);
    expect(r.code).toBe(1);
    expect(line(r.stdout, "reachable")).toMatch(new RegExp(`^FAIL .*127\\.0\\.0\\.1:${port}`));
    expect(r.stdout.trim().split("\n")).toHaveLength(1);
  });

  it("--help, and usage errors exit 2", async () => {
    expect((await runCli(["doctor", "--help"])).stdout).toContain("Usage: jetflow doctor");
    expect((await runCli(["doctor"])).code).toBe(2);
    expect((await runCli(["doctor", "--server", "127.0.0.1:4222", "--stream", "s"])).code).toBe(2);
  });
});
