import { createUser } from "@nats-io/nkeys";
import { describe, expect, it } from "vitest";
import { connectOptions } from "./connect-options.js";
import { jwtOperator } from "./jwt-auth.js";

const url = "nats://127.0.0.1:4222";

describe("connectOptions", () => {
  it("maps user/password and token to nats.js options", () => {
    expect(connectOptions({ url, user: "u", pass: "p" })).toEqual({ servers: url, user: "u", pass: "p" });
    expect(connectOptions({ url, token: "t" })).toEqual({ servers: url, token: "t" });
  });

  it("signs the server nonce with the NKey seed", () => {
    const kp = createUser();
    const opts = connectOptions({ url, nkeySeed: new TextDecoder().decode(kp.getSeed()) });
    const auth = opts.authenticator;
    if (typeof auth !== "function") throw new Error("expected one authenticator");
    const nonce = "n0nce";
    const answer = auth(nonce) as { nkey: string; sig: string };
    expect(answer.nkey).toBe(kp.getPublicKey());
    expect(kp.verify(new TextEncoder().encode(nonce), Buffer.from(answer.sig, "base64url"))).toBe(true);
  });

  it("presents the user JWT from jwt+seed or from the .creds file alone", async () => {
    const { client } = await jwtOperator();
    for (const c of [client, { credsFile: client.credsFile }]) {
      const auth = connectOptions({ url, ...c }).authenticator;
      if (typeof auth !== "function") throw new Error("expected one authenticator");
      expect(auth("nonce")).toMatchObject({ jwt: client.jwt });
    }
  });

  it("asks for TLS on tls:// URLs and when TLS files are given", () => {
    expect(connectOptions({ url: "tls://127.0.0.1:1" }).tls).toEqual({});
    expect(connectOptions({ url, caFile: "/ca.pem", certFile: "/c.pem", keyFile: "/k.pem" }).tls).toEqual({
      caFile: "/ca.pem",
      certFile: "/c.pem",
      keyFile: "/k.pem",
    });
    expect(connectOptions({ url }).tls).toBeUndefined();
  });
});
