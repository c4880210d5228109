import net from "node:net";
import { ErrorCode, InvalidOptionError, type JetflowError } from "@jetflow/core";
import {
  freePort,
  jwtOperator,
  NatsServer,
  nkey,
  runNodeScript,
  tls,
  token,
  userPassword,
} from "@jetflow/test-harness";
import { createUser } from "@nats-io/nkeys";
import { describe, expect, it } from "vitest";
import { connectNats } from "./connect.js";
import { AuthenticationFailedError, ConnectionFailedError, PermissionDeniedError } from "./errors.js";
import { NatsSource } from "./nats-source.js";
import { resolveNatsOptions } from "./resolve-options.js";
import { adminConnection, collect, createStream, load } from "./test-helpers.js";

/** Creates a stream on `server` (with its own credentials), loads 3 messages, reads them through a NatsSource. */
async function readThrough(
  server: NatsServer,
  auth: Record<string, string>,
  serverUrl = server.url,
): Promise<string[]> {
  const admin = await adminConnection(server);
  try {
    await createStream(admin, "AUTH", ["auth.>"]);
    await load(admin, "AUTH", "auth.x", 3, { expectTotal: 3 });
  } finally {
    await admin.close();
  }
  const config = resolveNatsOptions({
    connector: "nats",
    server_url: serverUrl,
    subject: "auth.>",
    stream: "AUTH",
    ...auth,
  });
  const source = await NatsSource.open(config);
  try {
    return (await collect(source, (c) => c.payloads.length >= 3)).payloads;
  } finally {
    await source.stop();
  }
}

async function failure(p: Promise<unknown>): Promise<JetflowError> {
  try {
    await p;
  } catch (e) {
    return e as JetflowError;
  }
  throw new Error("expected a failure");
}

const expected = ["auth.x:0", "auth.x:1", "auth.x:2"];

describe("connect modes against a real server", () => {
  it("plain", async () => {
    await using server = await NatsServer.start();
    expect(await readThrough(server, { connect_mode: "plain" })).toEqual(expected);
  });

  it("user_and_password; a wrong password is AuthenticationFailedError without the password", async () => {
    await using server = await NatsServer.start({ auth: userPassword("reader", "right-pass-123") });
    const ok = { connect_mode: "user_and_password", username: "reader", password: "right-pass-123" };
    expect(await readThrough(server, ok)).toEqual(expected);
    const bad = resolveNatsOptions({
      connector: "nats",
      server_url: server.url,
      subject: "auth.>",
      stream: "AUTH",
      ...ok,
      password: "wrong-pass-456",
    });
    const err = await failure(NatsSource.open(bad));
    expect(err).toBeInstanceOf(AuthenticationFailedError);
    expect(err.code).toBe(ErrorCode.AuthenticationFailed);
    expect(err.message).toContain("reader");
    expect(err.message).not.toContain("wrong-pass-456");
    expect(err.message).not.toContain("right-pass-123");
  });

  it("token; a wrong token is AuthenticationFailedError without the token", async () => {
    await using server = await NatsServer.start({ auth: token("tok-right-789") });
    expect(await readThrough(server, { connect_mode: "token", token: "tok-right-789" })).toEqual(expected);
    const err = await failure(
      connectNats(resolveNatsOptions({ ...withBase(server), connect_mode: "token", token: "tok-wrong-000" })),
    );
    expect(err).toBeInstanceOf(AuthenticationFailedError);
    expect(err.message).not.toContain("tok-wrong-000");
  });

  it("credential with an NKey seed alone", async () => {
    const auth = nkey();
    await using server = await NatsServer.start({ auth });
    expect(await readThrough(server, { connect_mode: "credential", nkey: auth.client.nkeySeed! })).toEqual(expected);
  });

  it("credential with JWT + NKey (operator mode), and with a .creds file; a foreign seed is refused", async () => {
    const auth = await jwtOperator();
    await using server = await NatsServer.start({ auth });
    const { jwt, nkeySeed, credsFile } = auth.client;
    expect(await readThrough(server, { connect_mode: "credential", jwt, nkey: nkeySeed })).toEqual(expected);
    const source = await NatsSource.open(
      resolveNatsOptions({ ...withBase(server), connect_mode: "credential", credentials_file: credsFile }),
    );
    expect((await collect(source, (c) => c.payloads.length >= 3)).payloads).toEqual(expected);
    await source.stop();
    const foreign = new TextDecoder().decode(createUser().getSeed());
    const err = await failure(
      connectNats(resolveNatsOptions({ ...withBase(server), connect_mode: "credential", jwt, nkey: foreign })),
    );
    expect(err).toBeInstanceOf(AuthenticationFailedError);
    expect(err.message).not.toContain(foreign);
    expect(err.message).not.toContain(jwt);
  });

  it("an unreadable credentials_file names the option", async () => {
    const config = resolveNatsOptions({
      ...withBase({ url: "nats://127.0.0.1:1" }),
      connect_mode: "credential",
      credentials_file: "/nonexistent/u.creds",
    });
    const err = await failure(connectNats(config));
    expect(err).toBeInstanceOf(InvalidOptionError);
    expect(err.message).toContain("credentials_file");
  });

  it("TLS with tls:// and tls.ca_file; without the CA the handshake fails as ConnectionFailedError", async () => {
    const auth = await tls();
    await using server = await NatsServer.start({ auth });
    expect(server.url.startsWith("tls://")).toBe(true);
    expect(await readThrough(server, { connect_mode: "plain", "tls.ca_file": auth.client.caFile })).toEqual(expected);
    const err = await failure(connectNats(resolveNatsOptions({ ...withBase(server), connect_mode: "plain" })));
    expect(err).toBeInstanceOf(ConnectionFailedError);
    expect(err.message).toContain("TLS");
  });

  it("mutual TLS with tls.cert_file and tls.key_file", async () => {
    const auth = await tls({ verify: true });
    await using server = await NatsServer.start({ auth });
    const files = {
      "tls.ca_file": auth.client.caFile,
      "tls.cert_file": auth.client.certFile!,
      "tls.key_file": auth.client.keyFile!,
    };
    expect(await readThrough(server, { connect_mode: "plain", ...files })).toEqual(expected);
    const noClientCert = resolveNatsOptions({
      ...withBase(server),
      connect_mode: "plain",
      "tls.ca_file": auth.client.caFile,
    });
    // The server drops the TLS session after the handshake, which nats.js only reports at its
    // connect timeout; its INFO line (tls_verify) lets the error come at once and say why.
    const err = await failure(connectNats(noClientCert, { timeoutMs: 60_000 }));
    expect(err).toBeInstanceOf(ConnectionFailedError);
    expect(err.message).toMatch(/requires a client certificate \(mutual TLS\); set tls.cert_file and tls.key_file/);
  });

  it("mutual TLS refused leaves nothing running: a process ends right after the error", async () => {
    const auth = await tls({ verify: true });
    await using server = await NatsServer.start({ auth });
    const options = { ...withBase(server), connect_mode: "plain", "tls.ca_file": auth.client.caFile };
    // A child process: an attempt nats.js was left with would hold it for the whole connect timeout (60 s here).
    const code = `
      import { connectNats, resolveNatsOptions } from "@jetflow/connector-nats";
      let failedAt = 0;
      process.on("exit", () => console.log(JSON.stringify({ lingeredMs: Date.now() - failedAt })));
      await connectNats(resolveNatsOptions(${JSON.stringify(options)}), { timeoutMs: 60000 }).catch(() => { failedAt = Date.now(); });
    `;
    const r = await runNodeScript(code, { cwd: import.meta.dirname, killAfterMs: 15_000 });
    expect(r.code, "killed: the process lingered").toBe(0);
    // A generous bound, not a speed claim: the old code lingered for the full timeout.
    expect((JSON.parse(r.stdout) as { lingeredMs: number }).lingeredMs).toBeLessThan(3_000);
  });

  it("a port that accepts connections and never speaks NATS: the timeout says so", async () => {
    const silent = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    try {
      const port = (silent.address() as net.AddressInfo).port;
      const config = resolveNatsOptions({ ...withBase({ url: `127.0.0.1:${port}` }), connect_mode: "plain" });
      const err = await failure(connectNats(config, { timeoutMs: 1_000 }));
      expect(err).toBeInstanceOf(ConnectionFailedError);
      expect(err.message).toContain(`nats://127.0.0.1:${port} accepted the connection but sent no NATS greeting`);
    } finally {
      silent.close();
    }
  });

  it("several server URLs: connects when the first is down and a later one up", async () => {
    await using server = await NatsServer.start();
    const down = await freePort();
    const url = `127.0.0.1:${down},nats://127.0.0.1:${await freePort()},${server.url}`;
    expect(await readThrough(server, { connect_mode: "plain" }, url)).toEqual(expected);
  });

  it("every server down is ConnectionFailedError naming the servers", async () => {
    const a = await freePort();
    const b = await freePort();
    const err = await failure(
      connectNats(resolveNatsOptions({ ...withBase({ url: `127.0.0.1:${a},127.0.0.1:${b}` }), connect_mode: "plain" })),
    );
    expect(err).toBeInstanceOf(ConnectionFailedError);
    expect(err.message).toContain(`nats://127.0.0.1:${a}`);
    expect(err.message).toContain(`nats://127.0.0.1:${b}`);
  });
});

describe("permissions", () => {
  it("a user denied subscribe on the subject gets PermissionDeniedError naming it", async () => {
    await using server = await NatsServer.start({
      auth: userPassword("u", "pass-perm-1", { denySubscribe: ["auth.>"] }),
    });
    const err = await failure(
      readThrough(server, { connect_mode: "user_and_password", username: "u", password: "pass-perm-1" }),
    );
    expect(err).toBeInstanceOf(PermissionDeniedError);
    expect(err.code).toBe(ErrorCode.PermissionDenied);
    expect(err.message).toContain("auth.>");
    expect(err.message).not.toContain("pass-perm-1");
  });

  it("a user denied the JetStream consumer API gets PermissionDeniedError naming the API subject", async () => {
    const auth = await jwtOperator({ denyPublish: ["$JS.API.CONSUMER.>"] });
    await using server = await NatsServer.start({ auth });
    const err = await failure(
      readThrough(server, { connect_mode: "credential", jwt: auth.client.jwt, nkey: auth.client.nkeySeed }),
    );
    expect(err).toBeInstanceOf(PermissionDeniedError);
    expect(err.message).toContain("$JS.API.CONSUMER");
  });
});

function withBase(server: { url: string }) {
  return { connector: "nats", server_url: server.url, subject: "auth.>", stream: "AUTH" };
}
