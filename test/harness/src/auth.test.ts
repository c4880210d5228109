import { AuthorizationError, connect, PermissionViolationError } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nkey, token, userPassword } from "./auth.js";
import { connectOptions } from "./connect-options.js";
import { jetStreamRoundTrip, subscribeOutcome, withConnection } from "./jetstream-round-trip.js";
import { NatsServer } from "./nats-server.js";

const noRetry = { reconnect: false, timeout: 5_000 } as const;

describe("userPassword", () => {
  const auth = userPassword();
  let server: NatsServer;
  beforeAll(async () => {
    server = await NatsServer.start({ auth });
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it("generates a random password and puts it in the server config", () => {
    expect(auth.client.user).toBe("jetflow");
    expect(auth.client.pass).toMatch(/^[\w-]{24}$/);
    expect(userPassword().client.pass).not.toBe(auth.client.pass);
    expect(auth.config).toContain(JSON.stringify(auth.client.pass));
  });

  it("lets the right user use JetStream", async () => {
    const nc = await connect({ ...connectOptions(server.client), ...noRetry });
    expect(await withConnection(nc, (c) => jetStreamRoundTrip(c))).toEqual(["one", "two"]);
  });

  it("refuses a wrong password, a wrong user and no credentials", async () => {
    const { url } = server;
    await expect(connect({ ...connectOptions({ ...server.client, pass: "wrong" }), ...noRetry })).rejects.toThrow(
      AuthorizationError,
    );
    await expect(connect({ ...connectOptions({ ...server.client, user: "other" }), ...noRetry })).rejects.toThrow(
      AuthorizationError,
    );
    await expect(connect({ servers: url, ...noRetry })).rejects.toThrow(AuthorizationError);
  });

  it("rejects an empty user name", () => {
    expect(() => userPassword("")).toThrow(/userPassword\(user\)/);
  });
});

describe("userPassword with permissions", () => {
  let server: NatsServer;
  beforeAll(async () => {
    server = await NatsServer.start({ auth: userPassword("reader", 's3cr"et pass', { denySubscribe: ["secret.>"] }) });
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it("keeps JetStream usable but refuses a subscription to a denied subject", async () => {
    const nc = await connect({ ...connectOptions(server.client), ...noRetry });
    await withConnection(nc, async (c) => {
      expect(await jetStreamRoundTrip(c)).toEqual(["one", "two"]);
      expect(await subscribeOutcome(c, "public.x")).toBeUndefined();
      const denied = await subscribeOutcome(c, "secret.x");
      expect(denied).toBeInstanceOf(PermissionViolationError);
      expect(denied).toMatchObject({ operation: "subscription", subject: "secret.x" });
      // The violation ends only that subscription; the connection stays up.
      expect(c.isClosed()).toBe(false);
    });
  });
});

describe("token", () => {
  const auth = token();
  let server: NatsServer;
  beforeAll(async () => {
    server = await NatsServer.start({ auth });
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it("lets the right token use JetStream", async () => {
    expect(auth.client.token).toMatch(/^[\w-]{24}$/);
    const nc = await connect({ ...connectOptions(server.client), ...noRetry });
    expect(await withConnection(nc, (c) => jetStreamRoundTrip(c))).toEqual(["one", "two"]);
  });

  it("refuses a wrong token and no token", async () => {
    await expect(connect({ ...connectOptions({ url: server.url, token: "wrong" }), ...noRetry })).rejects.toThrow(
      AuthorizationError,
    );
    await expect(connect({ servers: server.url, ...noRetry })).rejects.toThrow(AuthorizationError);
  });
});

describe("nkey", () => {
  const auth = nkey();
  let server: NatsServer;
  beforeAll(async () => {
    server = await NatsServer.start({ auth });
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it("lists the public key and hands the client the seed", () => {
    expect(auth.publicKey).toMatch(/^U[A-Z2-7]{55}$/);
    expect(auth.client.nkeySeed).toMatch(/^SU[A-Z2-7]{56}$/);
    expect(auth.config).toContain(auth.publicKey);
    expect(auth.config).not.toContain(auth.client.nkeySeed);
  });

  it("lets the key holder use JetStream", async () => {
    const nc = await connect({ ...connectOptions(server.client), ...noRetry });
    expect(await withConnection(nc, (c) => jetStreamRoundTrip(c))).toEqual(["one", "two"]);
  });

  it("refuses a different nkey", async () => {
    const other = nkey().client;
    await expect(connect({ ...connectOptions({ url: server.url, ...other }), ...noRetry })).rejects.toThrow(
      AuthorizationError,
    );
  });
});
