import fs from "node:fs";
import {
  credsAuthenticator,
  jwtAuthenticator,
  type NodeConnectionOptions,
  nkeyAuthenticator,
} from "@nats-io/transport-node";
import type { ClientAuth } from "./nats-server.js";

/**
 * nats.js connection options for a harness client: servers, user/password, token, NKey,
 * JWT (from `jwt` + `nkeySeed`, else from `credsFile`) and TLS files. Spread it to add options.
 *
 * @example
 * ```ts
 * await using server = await NatsServer.start({ auth: await jwtOperator() });
 * const nc = await connect({ ...connectOptions(server.client), name: "test" });
 * ```
 */
export function connectOptions(client: ClientAuth): NodeConnectionOptions {
  const opts: NodeConnectionOptions = { servers: client.url };
  if (client.user !== undefined) opts.user = client.user;
  if (client.pass !== undefined) opts.pass = client.pass;
  if (client.token !== undefined) opts.token = client.token;
  const seed = client.nkeySeed === undefined ? undefined : new TextEncoder().encode(client.nkeySeed);
  if (client.jwt !== undefined) opts.authenticator = jwtAuthenticator(client.jwt, seed);
  else if (client.credsFile !== undefined) opts.authenticator = credsAuthenticator(fs.readFileSync(client.credsFile));
  else if (seed !== undefined) opts.authenticator = nkeyAuthenticator(seed);
  const tlsFiles = {
    ...(client.caFile === undefined ? {} : { caFile: client.caFile }),
    ...(client.certFile === undefined ? {} : { certFile: client.certFile }),
    ...(client.keyFile === undefined ? {} : { keyFile: client.keyFile }),
  };
  if (client.url.startsWith("tls://") || Object.keys(tlsFiles).length > 0) opts.tls = tlsFiles;
  return opts;
}
