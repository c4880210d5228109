import { generate } from "selfsigned";
import { configLine } from "./auth-config.js";
import type { AuthSetup, ClientAuth } from "./nats-server.js";
import { secretDir, writeSecret } from "./secret-dir.js";

export interface TlsSetupOptions {
  /** Require a client certificate signed by the test CA (mutual TLS). @default false */
  readonly verify?: boolean;
}

/** Files a TLS client needs: the CA, and with `verify` a client certificate and key. */
export type TlsClient = Omit<ClientAuth, "url"> & {
  readonly caFile: string;
};

export interface TlsAuthSetup extends AuthSetup {
  readonly tls: true;
  readonly client: TlsClient;
  /** Directory holding the PEM files (removed when the process exits). */
  readonly dir: string;
}

// EC P-256 keys: generated in milliseconds where RSA-2048 takes a noticeable fraction of a second.
const keyOptions = { keyType: "ec", curve: "P-256", algorithm: "sha256" } as const;

/**
 * TLS with certificates generated now: a CA, a server certificate for `127.0.0.1`, `::1` and
 * `localhost` signed by it and, with `verify`, a client certificate the server requires.
 * The server URL becomes `tls://127.0.0.1:PORT`.
 *
 * @example
 * ```ts
 * await using server = await NatsServer.start({ auth: await tls({ verify: true }) });
 * const nc = await connect(connectOptions(server.client));
 * ```
 */
export async function tls(options: TlsSetupOptions = {}): Promise<TlsAuthSetup> {
  const verify = options.verify ?? false;
  if (typeof verify !== "boolean") throw new TypeError("tls({ verify }) must be true or false");
  const dir = secretDir("tls");
  const notBeforeDate = new Date(Date.now() - 60_000); // tolerate small clock skew
  const ca = await generate([{ name: "commonName", value: "jetflow test CA" }], {
    ...keyOptions,
    notBeforeDate,
    extensions: [
      { name: "basicConstraints", cA: true, critical: true },
      { name: "keyUsage", keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const signer = { key: ca.private, cert: ca.cert };
  const server = await generate([{ name: "commonName", value: "localhost" }], {
    ...keyOptions,
    notBeforeDate,
    ca: signer,
    extensions: [
      { name: "basicConstraints", cA: false, critical: true },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
      { name: "extKeyUsage", serverAuth: true },
      {
        name: "subjectAltName",
        altNames: [
          { type: 2, value: "localhost" },
          { type: 7, ip: "127.0.0.1" },
          { type: 7, ip: "::1" },
        ],
      },
    ],
  });
  const caFile = writeSecret(dir, "ca.pem", ca.cert);
  const serverCert = writeSecret(dir, "server-cert.pem", server.cert);
  const serverKey = writeSecret(dir, "server-key.pem", server.private);
  let client: TlsClient = { caFile };
  if (verify) {
    const cert = await generate([{ name: "commonName", value: "jetflow test client" }], {
      ...keyOptions,
      notBeforeDate,
      ca: signer,
      extensions: [
        { name: "basicConstraints", cA: false, critical: true },
        { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
        { name: "extKeyUsage", clientAuth: true },
      ],
    });
    client = {
      caFile,
      certFile: writeSecret(dir, "client-cert.pem", cert.cert),
      keyFile: writeSecret(dir, "client-key.pem", cert.private),
    };
  }
  // timeout: the handshake deadline in seconds; the 0.5 s default is tight on a loaded CI box.
  const config = configLine("tls", { cert_file: serverCert, key_file: serverKey, ca_file: caFile, verify, timeout: 5 });
  return { config, client, tls: true, dir };
}
