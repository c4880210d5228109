import fs from "node:fs";
import { decode } from "@nats-io/jwt";
import { AuthorizationError, connect, PermissionViolationError } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectOptions } from "./connect-options.js";
import { jetStreamRoundTrip, subscribeOutcome, withConnection } from "./jetstream-round-trip.js";
import { type JwtAuthSetup, jwtOperator } from "./jwt-auth.js";
import { NatsServer } from "./nats-server.js";

const noRetry = { reconnect: false, timeout: 5_000 } as const;

describe("jwtOperator", () => {
  let auth: JwtAuthSetup;
  let server: NatsServer;
  beforeAll(async () => {
    auth = await jwtOperator();
    server = await NatsServer.start({ auth });
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it("issues a user of the JetStream account and a standard .creds file", () => {
    const claims = decode(auth.client.jwt);
    expect(claims.iss).toBe(auth.accountPublicKey);
    expect(claims.sub).toMatch(/^U/);
    const creds = fs.readFileSync(auth.client.credsFile, "utf8");
    expect(creds).toContain(`-----BEGIN NATS USER JWT-----\n${auth.client.jwt}\n------END NATS USER JWT------`);
    expect(creds).toContain(`-----BEGIN USER NKEY SEED-----\n${auth.client.nkeySeed}\n------END USER NKEY SEED------`);
    expect(fs.statSync(auth.client.credsFile).mode & 0o077).toBe(0);
    // The server needs no secret of the user: neither its seed nor an account seed.
    expect(auth.config).not.toContain(auth.client.nkeySeed);
    expect(auth.config).not.toMatch(/\bS[OAU][A-Z2-7]{56}\b/);
  });

  it("lets the user use JetStream with its JWT and seed", async () => {
    const nc = await connect({ ...connectOptions(server.client), ...noRetry });
    expect(await withConnection(nc, (c) => jetStreamRoundTrip(c, "JWT1"))).toEqual(["one", "two"]);
  });

  it("lets the user use JetStream with only its .creds file", async () => {
    const nc = await connect({ ...connectOptions({ url: server.url, credsFile: auth.client.credsFile }), ...noRetry });
    expect(await withConnection(nc, (c) => jetStreamRoundTrip(c, "JWT2"))).toEqual(["one", "two"]);
  });

  it("refuses a user of another operator, a seed that does not match the JWT, and no credentials", async () => {
    const stranger = (await jwtOperator()).client;
    await expect(connect({ ...connectOptions({ url: server.url, ...stranger }), ...noRetry })).rejects.toThrow(
      AuthorizationError,
    );
    const wrongSeed = { ...server.client, nkeySeed: stranger.nkeySeed };
    await expect(connect({ ...connectOptions(wrongSeed), ...noRetry })).rejects.toThrow(AuthorizationError);
    await expect(connect({ servers: server.url, ...noRetry })).rejects.toThrow(AuthorizationError);
  });

  it("mints more users the running server accepts, with their own permissions", async () => {
    const restricted = await auth.addUser({ name: "restricted", denySubscribe: ["secret.>"] });
    expect(restricted.credsFile).not.toBe(auth.client.credsFile);
    const nc = await connect({ ...connectOptions({ url: server.url, ...restricted }), ...noRetry });
    await withConnection(nc, async (c) => {
      expect(await jetStreamRoundTrip(c, "JWT3")).toEqual(["one", "two"]);
      const denied = await subscribeOutcome(c, "secret.x");
      expect(denied).toBeInstanceOf(PermissionViolationError);
      expect(denied).toMatchObject({ operation: "subscription", subject: "secret.x" });
    });
    // The first user has no such restriction.
    const free = await connect({ ...connectOptions(server.client), ...noRetry });
    expect(await withConnection(free, (c) => subscribeOutcome(c, "secret.x"))).toBeUndefined();
  });
});

describe("jwtOperator with denySubscribe", () => {
  let server: NatsServer;
  beforeAll(async () => {
    server = await NatsServer.start({
      auth: await jwtOperator({ denySubscribe: ["secret.>"], denyPublish: ["ro.>"] }),
    });
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it("keeps JetStream usable but refuses the denied subscription and publish", async () => {
    const nc = await connect({ ...connectOptions(server.client), ...noRetry });
    await withConnection(nc, async (c) => {
      expect(await jetStreamRoundTrip(c)).toEqual(["one", "two"]);
      expect(await subscribeOutcome(c, "public.x")).toBeUndefined();
      expect(await subscribeOutcome(c, "secret.a.b")).toBeInstanceOf(PermissionViolationError);
      const errors = (async () => {
        for await (const s of c.status()) if (s.type === "error") return s.error;
        return undefined;
      })();
      c.publish("ro.x", "nope");
      const err = await errors;
      expect(err).toBeInstanceOf(PermissionViolationError);
      expect(err).toMatchObject({ operation: "publish", subject: "ro.x" });
    });
  });
});
