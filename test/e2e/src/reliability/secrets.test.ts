import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { inspect } from "node:util";
import type { PipelineStatus } from "@jetflow/pipeline";
import { sqlPipeline } from "@jetflow/sql";
import {
  connectOptions,
  freePort,
  type JwtAuthSetup,
  jwtOperator,
  NatsServer,
  nkey,
  token,
  userPassword,
} from "@jetflow/test-harness";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../cli-process.js";
import { killLiveClis, scrape, sleep, startCli, waitForMetric } from "./support.js";

/**
 * Secrets (passwords, tokens, JWTs, NKey seeds) in the DDL never show, whatever fails: every error
 * path reachable from a SQL file (wrong credentials, server down, permission denied, stream
 * missing, bad or unknown options next to secrets, a bad message policy, SQL syntax errors at the
 * secret) through the CLI (stdout, stderr, with and without --verbose) and the library (the thrown
 * error with its whole cause chain as console.log prints it, status$ events, metrics text).
 */

const PASSWORD = "Pw-7hV9qLz2XcR4mNs8Ke1";
const TOKEN = "Tk-3bW6yUo0PaE5iJd7Gf9";

describe("secrets never leak", () => {
  let pwServer: NatsServer;
  let tokenServer: NatsServer;
  let nkeyServer: NatsServer;
  let jwtServer: NatsServer;
  let jwtAuth: JwtAuthSetup;
  let seed: string;
  let dir: string;
  /** Every secret in play, and pieces of them long enough to identify them. */
  let secrets: string[];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "jetflow-secrets-"));
    pwServer = await NatsServer.start({ auth: userPassword("jetflow", PASSWORD, { denySubscribe: ["vault.>"] }) });
    tokenServer = await NatsServer.start({ auth: token(TOKEN) });
    const nk = nkey();
    seed = nk.client.nkeySeed as string;
    nkeyServer = await NatsServer.start({ auth: nk });
    jwtAuth = await jwtOperator();
    jwtServer = await NatsServer.start({ auth: jwtAuth });
    for (const server of [pwServer, tokenServer, nkeyServer, jwtServer]) {
      const nc = await connect(connectOptions(server.client));
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({ name: "orders", subjects: ["orders.>"] });
      await jsm.streams.add({ name: "vault", subjects: ["vault.>"] });
      nc.publish("orders.a", JSON.stringify({ id: 1, v: "x" }));
      await nc.flush();
      await nc.close();
    }
    const whole = [PASSWORD, TOKEN, seed, jwtAuth.client.jwt, jwtAuth.client.nkeySeed];
    // A truncated secret leaks too: look for its head and tail as well.
    secrets = whole.flatMap((s) => [s, s.slice(0, 12), s.slice(-12)]);
  });
  afterAll(async () => {
    killLiveClis();
    for (const s of [pwServer, tokenServer, nkeyServer, jwtServer]) await s?.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function expectNoSecret(text: string, what: string): void {
    for (const s of secrets) expect(text.includes(s), `${what} holds a secret: ${text}`).toBe(false);
  }

  /** A SQL file: one table with `with` options (values quoted unless given raw). */
  function sqlFile(name: string, withOptions: Record<string, string>, raw: Record<string, string> = {}): string {
    const opts = [
      ...Object.entries(withOptions).map(([k, v]) => `${k} = '${v}'`),
      ...Object.entries(raw).map(([k, v]) => `${k} = ${v}`),
    ];
    const file = path.join(dir, `${name}.sql`);
    fs.writeFileSync(
      file,
      `CREATE TABLE t (id int PRIMARY KEY, v varchar)\nWITH (\n  ${opts.join(",\n  ")}\n) FORMAT PLAIN ENCODE JSON;\n`,
    );
    return file;
  }

  const base = (server: NatsServer, stream = "orders", subject = "orders.a") => ({
    connector: "nats",
    server_url: server.url,
    subject,
    stream,
  });
  const pw = (server: NatsServer, extra: Record<string, string> = {}) => ({
    ...base(server),
    connect_mode: "user_and_password",
    username: "jetflow",
    password: PASSWORD,
    ...extra,
  });
  const tok = (server: NatsServer, extra: Record<string, string> = {}) => ({
    ...base(server),
    connect_mode: "token",
    token: TOKEN,
    ...extra,
  });
  const nk = (server: NatsServer, s: string, extra: Record<string, string> = {}) => ({
    ...base(server),
    connect_mode: "credential",
    nkey: s,
    ...extra,
  });
  const jwt = (server: NatsServer, j: string, s: string, extra: Record<string, string> = {}) => ({
    ...base(server),
    connect_mode: "credential",
    jwt: j,
    nkey: s,
    ...extra,
  });

  /**
   * Runs the CLI on a file that must fail, with --verbose: its stderr is the error line plus the
   * stack trace, so one run covers both. No secret in either, nor on stdout.
   */
  async function failsQuietly(file: string, pattern: RegExp): Promise<void> {
    const r = await runCli(["run", file, "--until-caught-up", "--print", "t", "--verbose"], { timeoutMs: 30_000 });
    expect(r.code, r.stderr).not.toBe(0);
    const [line, ...stack] = r.stderr.split("\n");
    expect(line).toMatch(/^jetflow: /);
    expect(line).toMatch(pattern);
    expect(stack.join("\n")).toMatch(/^\S*Error.*\n\s+at /); // the stack trace is there
    expectNoSecret(r.stdout, "stdout");
    expectNoSecret(r.stderr, "stderr (--verbose)");
  }

  describe("through the CLI", () => {
    it("a wrong password, token, NKey seed and JWT", async () => {
      await failsQuietly(sqlFile("wrong-pw", pw(pwServer, { password: `${PASSWORD}x` })), /refused|authoriz/i);
      await failsQuietly(sqlFile("wrong-token", tok(tokenServer, { token: `${TOKEN}x` })), /refused|authoriz/i);
      const otherSeed = nkey().client.nkeySeed as string; // a valid seed the server does not know
      secrets.push(otherSeed, otherSeed.slice(0, 12), otherSeed.slice(-12));
      await failsQuietly(sqlFile("wrong-seed", nk(nkeyServer, otherSeed)), /refused|authoriz/i);
      const stranger = await (await jwtOperator()).addUser();
      secrets.push(stranger.jwt, stranger.jwt.slice(0, 12), stranger.jwt.slice(-12), stranger.nkeySeed);
      await failsQuietly(sqlFile("wrong-jwt", jwt(jwtServer, stranger.jwt, stranger.nkeySeed)), /refused|authoriz/i);
      // The right JWT signed with another user's seed.
      await failsQuietly(sqlFile("jwt-bad-sig", jwt(jwtServer, jwtAuth.client.jwt, otherSeed)), /refused|authoriz/i);
    });

    it("the server down, the stream missing, permission denied", async () => {
      const down = `127.0.0.1:${await freePort()}`;
      await failsQuietly(sqlFile("down-pw", pw(pwServer, { server_url: down })), /could not connect/);
      await failsQuietly(
        sqlFile("down-jwt", jwt(jwtServer, jwtAuth.client.jwt, jwtAuth.client.nkeySeed, { server_url: down })),
        /could not connect/,
      );
      await failsQuietly(sqlFile("nostream-pw", pw(pwServer, { stream: "nope" })), /'nope'/);
      await failsQuietly(sqlFile("nostream-token", tok(tokenServer, { stream: "nope" })), /'nope'/);
      await failsQuietly(sqlFile("nostream-seed", nk(nkeyServer, seed, { stream: "nope" })), /'nope'/);
      await failsQuietly(sqlFile("denied", { ...pw(pwServer), stream: "vault", subject: "vault.x" }), /vault\.x/);
    });

    it("bad and unknown options next to secrets, a bad message policy, credentials in server_url", async () => {
      await failsQuietly(sqlFile("bad-value", pw(pwServer, { "consumer.ack_wait.sec": "soon" })), /ack_wait/);
      await failsQuietly(
        sqlFile("unknown", tok(tokenServer, { "scan.startup.mod": "earliest" })),
        /scan\.startup\.mod/,
      );
      await failsQuietly(sqlFile("policy", pw(pwServer, { "bad_message.policy": "maybe" })), /bad_message\.policy/);
      await failsQuietly(
        sqlFile(
          "dlq-missing",
          jwt(jwtServer, jwtAuth.client.jwt, jwtAuth.client.nkeySeed, { "bad_message.policy": "dead_letter" }),
        ),
        /dead_letter_subject/,
      );
      // Secrets under the wrong connect_mode, or the wrong key.
      await failsQuietly(sqlFile("mode", { ...pw(pwServer), connect_mode: "plain" }), /password/);
      await failsQuietly(
        sqlFile("token-mode", { ...tok(tokenServer), connect_mode: "user_and_password" }),
        /token|username/,
      );
      await failsQuietly(sqlFile("seed-as-jwt", nk(nkeyServer, jwtAuth.client.jwt)), /nkey/);
      await failsQuietly(sqlFile("jwt-as-seed", jwt(jwtServer, seed, seed)), /jwt|nkey|refused|authoriz/i);
      const port = pwServer.url.split(":").at(-1);
      await failsQuietly(
        sqlFile("url-creds", pw(pwServer, { server_url: `nats://jetflow:${PASSWORD}@127.0.0.1:${port}` })),
        /carries credentials/,
      );
      await failsQuietly(
        sqlFile("bad-url", pw(pwServer, { server_url: `nats://jetflow:${PASSWORD}@[not a host` })),
        /server_url/,
      );
    });

    it("a SQL syntax error at or after a secret", async () => {
      const unterminated = path.join(dir, "unterminated.sql");
      fs.writeFileSync(
        unterminated,
        `CREATE TABLE t (id int) WITH (connector = 'nats', password = '${PASSWORD}) FORMAT PLAIN ENCODE JSON;`,
      );
      await failsQuietly(unterminated, /line 1/);
      const missingComma = path.join(dir, "comma.sql");
      fs.writeFileSync(
        missingComma,
        `CREATE TABLE t (id int) WITH (connector = 'nats', token = '${TOKEN}' stream = 'x') FORMAT PLAIN ENCODE JSON;`,
      );
      await failsQuietly(missingComma, /line 1/);
    });

    it("a secret written without quotes is taken as a word, not echoed", async () => {
      const file = path.join(dir, "unquoted.sql");
      fs.writeFileSync(
        file,
        `CREATE TABLE t (id int) WITH (connector = 'nats', connect_mode = 'token', token = ${TOKEN}) FORMAT PLAIN ENCODE JSON;`,
      );
      await failsQuietly(file, /line 1, column \d+: expected ',' or '\)' after option token/);
    });

    // The syntax error quoted the second word ("found 'Zk4HsN7bYc3J'") until a895499.
    it("an unquoted passphrase of two words does not leak its second word", async () => {
      const passphrase = "Xq9vLm2PwRt8 Zk4HsN7bYc3J";
      secrets.push(...passphrase.split(" "));
      const file = path.join(dir, "passphrase.sql");
      fs.writeFileSync(
        file,
        `CREATE TABLE t (id int) WITH (connector = 'nats', connect_mode = 'user_and_password', username = 'u', password = ${passphrase}) FORMAT PLAIN ENCODE JSON;`,
      );
      await failsQuietly(file, /line 1/);
    });

    it("metrics of a running pipeline with secrets in its DDL", async () => {
      const port = await freePort();
      const file = sqlFile("ok", pw(pwServer));
      const run = startCli(["run", file, "--metrics-port", String(port), "--print", "t"]);
      await waitForMetric(run, port, "jetflow_messages_in_total", "t", 1);
      const text = (await scrape(port)) ?? "";
      expect(text).toContain("jetflow_messages_in_total");
      expectNoSecret(text, "metrics");
      const r = await run.stop();
      expect(r.code, r.stderr).toBe(0);
      expectNoSecret(r.stdout + r.stderr, "output");
    });
  });

  describe("through the library", () => {
    /** Everything a user could print of an error: message, stack, cause chain, own properties. */
    function expectCleanError(e: unknown, what: string): void {
      expect(e).toBeInstanceOf(Error);
      expectNoSecret(inspect(e, { depth: 8, showHidden: false }), `${what} (inspected)`);
      expectNoSecret(String(e), what);
      expectNoSecret(JSON.stringify(e) ?? "", `${what} (JSON)`);
      for (let c: unknown = e; c instanceof Error; c = c.cause)
        expectNoSecret(`${c.message}\n${c.stack}`, `${what} cause`);
    }

    async function startFails(withOptions: Record<string, string>, what: string): Promise<void> {
      const p = sqlPipeline();
      const statuses: PipelineStatus[] = [];
      p.status$.subscribe((s) => statuses.push(s));
      const opts = Object.entries(withOptions)
        .map(([k, v]) => `${k} = '${v}'`)
        .join(", ");
      let error: unknown;
      try {
        p.sql(`CREATE TABLE t (id int PRIMARY KEY, v varchar) WITH (${opts}) FORMAT PLAIN ENCODE JSON;`);
        await p.start();
      } catch (e) {
        error = e;
      }
      expectCleanError(error, what);
      expectNoSecret(inspect(statuses, { depth: 8 }), `${what} status$`);
      expectNoSecret(p.metrics.render(), `${what} metrics`);
    }

    it("start() errors, their causes, status$ and metrics", async () => {
      const down = `127.0.0.1:${await freePort()}`;
      await startFails(pw(pwServer, { password: "wrong-password-1" }), "wrong password");
      secrets.push("wrong-password-1");
      await startFails(tok(tokenServer, { token: `${TOKEN}x` }), "wrong token");
      await startFails(pw(pwServer, { server_url: down }), "server down");
      await startFails(nk(nkeyServer, seed, { stream: "nope" }), "stream missing");
      await startFails({ ...pw(pwServer), stream: "vault", subject: "vault.x" }, "permission denied");
      await startFails(
        jwt(jwtServer, jwtAuth.client.jwt, jwtAuth.client.nkeySeed, { "consumer.max_deliver": "-5" }),
        "bad option",
      );
      await startFails(tok(tokenServer, { "bad_message.policy": "never" }), "bad policy");
    });

    it("a running pipeline whose server dies and comes back: status$ events and metrics stay clean", async () => {
      await using server = await NatsServer.start({ auth: userPassword("jetflow", PASSWORD) });
      const nc = await connect(connectOptions(server.client));
      await (await jetstreamManager(nc)).streams.add({ name: "orders", subjects: ["orders.>"] });
      for (let i = 0; i < 100; i++) nc.publish("orders.a", JSON.stringify({ id: i, v: "x" }));
      await nc.flush();
      await nc.close();
      const p = sqlPipeline({ checkpointIntervalMs: 50 });
      const statuses: PipelineStatus[] = [];
      p.status$.subscribe((s) => statuses.push(s));
      p.sql(
        `CREATE TABLE t (id int PRIMARY KEY, v varchar) WITH (${Object.entries(
          pw(server, { "consumer.durable_name": "d" }),
        )
          .map(([k, v]) => `${k} = '${v}'`)
          .join(", ")}) FORMAT PLAIN ENCODE JSON;`,
      );
      await p.start();
      try {
        await p.caughtUp();
        await server.kill();
        await sleep(1200);
        await server.resume();
        for (
          let i = 0;
          i < 100 && !statuses.some((s) => s.type === "source" && s.status.type === "consumer_recreated");
          i++
        ) {
          await sleep(50);
        }
        expect(statuses.some((s) => s.type === "source" && s.status.type === "disconnected")).toBe(true);
        expectNoSecret(inspect(statuses, { depth: 8 }), "status$");
        expectNoSecret(p.metrics.render(), "metrics");
        expect(p.view("t").rows()).toHaveLength(100);
      } finally {
        await p.stop();
      }
    });

    it("error events while running (dead letters the user may not publish, bad messages): status$ and metrics stay clean", async () => {
      await using server = await NatsServer.start({
        auth: userPassword("jetflow", PASSWORD, { denyPublish: ["dlq.>"] }),
      });
      const nc = await connect(connectOptions(server.client));
      await (await jetstreamManager(nc)).streams.add({ name: "orders", subjects: ["orders.>"] });
      for (let i = 0; i < 20; i++)
        nc.publish("orders.a", i % 2 === 0 ? JSON.stringify({ id: i, v: "x" }) : "not json {");
      await nc.flush();
      await nc.close();
      const p = sqlPipeline();
      const statuses: PipelineStatus[] = [];
      p.status$.subscribe((s) => statuses.push(s));
      const withOptions = pw(server, {
        "bad_message.policy": "dead_letter",
        "bad_message.dead_letter_subject": "dlq.orders",
      });
      p.sql(
        `CREATE TABLE t (id int PRIMARY KEY, v varchar) WITH (${Object.entries(withOptions)
          .map(([k, v]) => `${k} = '${v}'`)
          .join(", ")}) FORMAT PLAIN ENCODE JSON;`,
      );
      await p.start();
      try {
        await p.caughtUp();
        const denied = () =>
          statuses.some(
            (s) => (s.type === "error" || (s.type === "source" && s.status.type === "error")) && /dlq/.test(inspect(s)),
          );
        for (let i = 0; i < 100 && !denied(); i++) await sleep(50);
        expect(denied(), inspect(statuses, { depth: 3 })).toBe(true);
        expect(statuses.filter((s) => s.type === "bad_message")).toHaveLength(10);
        expectNoSecret(inspect(statuses, { depth: 8 }), "status$");
        expectNoSecret(p.metrics.render(), "metrics");
      } finally {
        await p.stop();
      }
    });
  });
});
