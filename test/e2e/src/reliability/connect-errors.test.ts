import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import {
  connectOptions,
  freePort,
  jwtOperator,
  NatsServer,
  type TlsAuthSetup,
  tls,
  userPassword,
} from "@jetflow/test-harness";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../cli-process.js";

/**
 * What a user gets from `jetflow run` when the NATS side is wrong: wrong credentials, missing
 * permissions, a missing stream, no server, a server that accepts the TCP connection and never
 * speaks, TLS without the CA, mutual TLS without a client certificate. Each is one clear line on
 * stderr and a non-zero exit, never a hang (the run is killed after HANG_MS, failing the test).
 * cli-errors.test.ts covers the file/flag/SQL errors and a first set of these.
 */

const HANG_MS = 15_000;

describe("jetflow run: connection-level errors, one line each and no hang", () => {
  let dir: string;
  let pwServer: NatsServer;
  let tlsServer: NatsServer;
  let mtlsServer: NatsServer;
  let mtls: TlsAuthSetup;
  let silent: net.Server;
  let silentPort: number;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "jetflow-connect-"));
    pwServer = await NatsServer.start({ auth: userPassword("jetflow", "pw-123456", { denySubscribe: ["vault.>"] }) });
    tlsServer = await NatsServer.start({ auth: await tls() });
    mtls = await tls({ verify: true });
    mtlsServer = await NatsServer.start({ auth: mtls });
    for (const server of [pwServer, tlsServer, mtlsServer]) {
      const nc = await connect(connectOptions(server.client));
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({ name: "orders", subjects: ["orders.>"] });
      await jsm.streams.add({ name: "vault", subjects: ["vault.>"] });
      await nc.close();
    }
    // Accepts TCP connections and says nothing: a wrong port, a firewall, a hung server.
    silent = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    silentPort = (silent.address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    for (const s of [pwServer, tlsServer, mtlsServer]) await s?.dispose();
    await new Promise<void>((resolve) => (silent ? silent.close(() => resolve()) : resolve()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function sqlFile(name: string, withOptions: Record<string, string>): string {
    const opts = Object.entries(withOptions).map(([k, v]) => `${k} = '${v}'`);
    const file = path.join(dir, `${name}.sql`);
    fs.writeFileSync(
      file,
      `CREATE TABLE t (id int PRIMARY KEY, v varchar)\nWITH (\n  ${opts.join(",\n  ")}\n) FORMAT PLAIN ENCODE JSON;\n`,
    );
    return file;
  }
  const table = (server: NatsServer | string, extra: Record<string, string> = {}) => ({
    connector: "nats",
    server_url: typeof server === "string" ? server : server.url,
    subject: "orders.a",
    stream: "orders",
    connect_mode: "plain",
    ...extra,
  });
  const asUser = (password: string) => ({ connect_mode: "user_and_password", username: "jetflow", password });

  /** Runs the CLI on a file that must fail: exit 1, one line on stderr matching `pattern`, nothing on stdout. */
  async function failsWith(file: string, pattern: RegExp): Promise<void> {
    const r = await runCli(["run", file, "--until-caught-up", "--print", "t"], { timeoutMs: HANG_MS });
    expect(r.signal, `killed after ${HANG_MS} ms: it hung`).toBeNull();
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    const lines = r.stderr.trim().split("\n");
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^jetflow: /);
    expect(lines[0]).toMatch(pattern);
  }

  it("wrong credentials (password; JWT of an unknown account)", async () => {
    await failsWith(
      sqlFile("wrong-pw", table(pwServer, asUser("not-it"))),
      /refused the user_and_password credentials for user 'jetflow'/,
    );
    await using jwtServer = await NatsServer.start({ auth: await jwtOperator() });
    const stranger = (await jwtOperator()).client;
    await failsWith(
      sqlFile(
        "wrong-jwt",
        table(jwtServer, { connect_mode: "credential", jwt: stranger.jwt, nkey: stranger.nkeySeed }),
      ),
      /refused the credential credentials/,
    );
  });

  it("missing permissions: subscribe denied on the subject", async () => {
    await failsWith(
      sqlFile("denied", { ...table(pwServer, asUser("pw-123456")), stream: "vault", subject: "vault.x" }),
      /may not subscribe to 'vault\.x'/,
    );
  });

  it("a stream that does not exist", async () => {
    await failsWith(
      sqlFile("nostream", table(pwServer, { ...asUser("pw-123456"), stream: "missing" })),
      /stream 'missing' does not exist/,
    );
  });

  it("a server that is not there, and one that accepts the connection but never answers", async () => {
    const closed = `127.0.0.1:${await freePort()}`;
    await failsWith(sqlFile("noserver", table(closed)), /could not connect to any NATS server .*127\.0\.0\.1/);
    await failsWith(
      sqlFile("silent", table(`127.0.0.1:${silentPort}`)),
      /127\.0\.0\.1:\d+ accepted the connection but sent no NATS greeting/,
    );
  });

  it("TLS without the CA: the server certificate is not trusted", async () => {
    await failsWith(sqlFile("tls-no-ca", table(tlsServer)), /TLS with .* failed: .*(certificate|self.signed|issuer)/i);
  });

  it("mutual TLS without a client certificate", async () => {
    const { caFile } = mtls.client;
    await failsWith(
      sqlFile("mtls-no-cert", table(mtlsServer, { "tls.ca_file": caFile })),
      /TLS with .* failed: the server requires a client certificate \(mutual TLS\); set tls\.cert_file and tls\.key_file/,
    );
  });

  it("mutual TLS with the client certificate works (the control)", async () => {
    const { caFile, certFile, keyFile } = mtls.client;
    const file = sqlFile(
      "mtls-ok",
      table(mtlsServer, { "tls.ca_file": caFile, "tls.cert_file": certFile ?? "", "tls.key_file": keyFile ?? "" }),
    );
    const r = await runCli(["run", file, "--until-caught-up", "--print", "t"], { timeoutMs: HANG_MS });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  });
});
