import fs from "node:fs";
import { X509Certificate } from "node:crypto";
import { connect } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectOptions } from "./connect-options.js";
import { jetStreamRoundTrip, withConnection } from "./jetstream-round-trip.js";
import { NatsServer } from "./nats-server.js";
import { type TlsAuthSetup, tls } from "./tls.js";

const noRetry = { reconnect: false, timeout: 5_000 } as const;

/** The Node TLS error a refused handshake surfaces as (nats.js passes it through). */
function tlsError(code: RegExp) {
  return expect.objectContaining({ code: expect.stringMatching(code) });
}

describe("tls", () => {
  let auth: TlsAuthSetup;
  let stranger: TlsAuthSetup;
  let server: NatsServer;
  beforeAll(async () => {
    [auth, stranger] = await Promise.all([tls(), tls()]);
    server = await NatsServer.start({ auth });
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it("signs a server certificate for 127.0.0.1, ::1 and localhost with its CA", () => {
    const ca = new X509Certificate(fs.readFileSync(auth.client.caFile));
    const certFile = /cert_file":"([^"]+)"/.exec(auth.config)?.[1];
    const cert = new X509Certificate(fs.readFileSync(certFile ?? ""));
    expect(ca.ca).toBe(true);
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.checkIP("127.0.0.1")).toBe("127.0.0.1");
    expect(cert.checkHost("localhost")).toBe("localhost");
    expect(cert.ca).toBe(false);
    expect(auth.client.certFile).toBeUndefined();
  });

  it("serves tls:// and lets a client trusting the CA use JetStream", async () => {
    expect(server.url).toMatch(/^tls:\/\/127\.0\.0\.1:\d+$/);
    const nc = await connect({ ...connectOptions(server.client), ...noRetry });
    expect(await withConnection(nc, (c) => jetStreamRoundTrip(c))).toEqual(["one", "two"]);
  });

  it("refuses a client without the CA or trusting another CA", async () => {
    await expect(connect({ servers: server.url, tls: {}, ...noRetry })).rejects.toEqual(
      tlsError(/^UNABLE_TO_VERIFY_LEAF_SIGNATURE$/),
    );
    await expect(
      connect({ ...connectOptions({ ...server.client, caFile: stranger.client.caFile }), ...noRetry }),
    ).rejects.toEqual(tlsError(/^(CERT_SIGNATURE_FAILURE|UNABLE_TO_VERIFY_LEAF_SIGNATURE)$/));
  });

  it("upgrades a nats:// client too, so plain text never reaches the server", async () => {
    const plain = server.url.replace(/^tls:/, "nats:");
    await expect(connect({ servers: plain, ...noRetry })).rejects.toEqual(
      tlsError(/^UNABLE_TO_VERIFY_LEAF_SIGNATURE$/),
    );
  });
});

describe("tls with verify (mutual TLS)", () => {
  let auth: TlsAuthSetup;
  let stranger: TlsAuthSetup;
  let server: NatsServer;
  beforeAll(async () => {
    [auth, stranger] = await Promise.all([tls({ verify: true }), tls({ verify: true })]);
    server = await NatsServer.start({ auth });
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it("lets a client with a certificate from the CA use JetStream", async () => {
    expect(auth.client.certFile).toBeDefined();
    expect(auth.client.keyFile).toBeDefined();
    const nc = await connect({ ...connectOptions(server.client), ...noRetry });
    expect(await withConnection(nc, (c) => jetStreamRoundTrip(c))).toEqual(["one", "two"]);
  });

  it("refuses a client without a certificate or with one from another CA", async () => {
    // Go's server answers with a TLS alert and closes the socket; the client sees the alert or,
    // when the close wins the race, a reset. The server log says which check refused it.
    const refused = tlsError(
      /^(ECONNRESET|ERR_SSL_(SSLV3|TLSV1|TLSV13)_ALERT_(BAD_CERTIFICATE|CERTIFICATE_REQUIRED|UNKNOWN_CA))$/,
    );
    await expect(connect({ servers: server.url, tls: { caFile: auth.client.caFile }, ...noRetry })).rejects.toEqual(
      refused,
    );
    await expect.poll(() => server.output).toMatch(/TLS handshake error: .*client didn't provide a certificate/);
    const foreign = {
      ...server.client,
      certFile: stranger.client.certFile ?? "",
      keyFile: stranger.client.keyFile ?? "",
    };
    await expect(connect({ ...connectOptions(foreign), ...noRetry })).rejects.toEqual(refused);
    await expect.poll(() => server.output).toMatch(/TLS handshake error: .*certificate signed by unknown authority/);
  });

  it("rejects a verify option that is not a boolean", async () => {
    await expect(tls({ verify: "yes" as unknown as boolean })).rejects.toThrow(/tls\(\{ verify \}\)/);
  });
});
