import { InvalidOptionError, messageOf } from "@jetflow/core/base";
import fs from "node:fs";
import {
  connect,
  credsAuthenticator,
  errors,
  jwtAuthenticator,
  type NatsConnection,
  type NodeConnectionOptions,
  nkeyAuthenticator,
} from "@nats-io/transport-node";
import { type NatsSourceConfig, secretsOf } from "./config.js";
import { AuthenticationFailedError, ConnectionFailedError } from "./errors.js";
import { allRequireClientCert, readGreeting } from "./greeting.js";
import { type FrameParser, useFrameParser } from "./frame-parser.js";
import { scrub, toJetflowError } from "./nats-errors.js";
import { resolveReadPath } from "./read-path.js";

/** Reconnect quickly after a server restart; a stream processor retries for ever (status events say so). */
const RECONNECT_WAIT_MS = 500;
/**
 * The whole first handshake (TCP, INFO, TLS, CONNECT, PING/PONG) takes milliseconds on a LAN and
 * well under a second across the world; nats.js's 20 s default only delays the error of a server
 * that accepts connections and never finishes the handshake.
 */
const CONNECT_TIMEOUT_MS = 5_000;
/** How long the diagnosis of a failed connect waits for a server's greeting. */
const GREETING_MS = 500;

/** What {@link connectNats} needs: the connection part of a {@link NatsSourceConfig}. */
export type NatsConnectConfig = Pick<
  NatsSourceConfig,
  "servers" | "connectMode" | "username" | "password" | "jwt" | "nkey" | "token" | "credentialsFile" | "tls"
>;

/**
 * Opens a NATS connection for a config: its servers (the first that answers), auth of
 * `connect_mode` and TLS. The connection reconnects for ever. Failures are typed and never
 * carry a secret: `AuthenticationFailedError` (credentials refused), `ConnectionFailedError`
 * (no server reachable, TLS failure), `InvalidOptionError` (unreadable `credentials_file`/TLS file).
 *
 * @example
 * ```ts
 * const nc = await connectNats(resolveNatsOptions(withOptions), { name: "orders" });
 * ```
 */
export async function connectNats(
  config: NatsConnectConfig,
  opts: {
    name?: string;
    /** How long one connection attempt may take. @default 5000 */
    timeoutMs?: number;
    /**
     * Read the connection with {@link FrameParser} (whole `MSG`/`HMSG` frames on a fast path)
     * rather than nats.js's own parser. @default true, unless `JETFLOW_READ_PATH` is `consumer`
     * (nats.js as it is, everywhere)
     */
    frameParser?: boolean;
  } = {},
): Promise<NatsConnection> {
  const timeoutMs = opts.timeoutMs ?? CONNECT_TIMEOUT_MS;
  const options: NodeConnectionOptions = {
    servers: [...config.servers],
    timeout: timeoutMs,
    name: opts.name === undefined ? "jetflow" : `jetflow:${opts.name}`,
    maxReconnectAttempts: -1,
    reconnectTimeWait: RECONNECT_WAIT_MS,
    ...authOptions(config),
  };
  if (config.tls.required) {
    options.tls = {
      ...(config.tls.caFile === undefined ? {} : { caFile: readable("tls.ca_file", config.tls.caFile) }),
      ...(config.tls.certFile === undefined ? {} : { certFile: readable("tls.cert_file", config.tls.certFile) }),
      ...(config.tls.keyFile === undefined ? {} : { keyFile: readable("tls.key_file", config.tls.keyFile) }),
    };
  }
  const secrets = secretsOf(config);
  // Before connecting: a bad JETFLOW_READ_PATH is an InvalidOptionError, and no connection is left open.
  const frameParser = opts.frameParser ?? resolveReadPath(undefined) === "lean";
  try {
    const nc = await connectOrExplain(options, config);
    if (frameParser) useFrameParser(nc);
    return nc;
  } catch (e) {
    if (e instanceof ConnectionFailedError) throw e;
    const servers = config.servers.join(", ");
    if (e instanceof errors.AuthorizationError || e instanceof errors.UserAuthenticationExpiredError) {
      const who = config.username === undefined ? "" : ` for user '${config.username}'`;
      throw new AuthenticationFailedError(
        `NATS server (${servers}) refused the ${config.connectMode} credentials${who}: ${scrub(e.message, secrets)}`,
        { cause: e },
      );
    }
    if (isTlsError(e)) {
      throw new ConnectionFailedError(`TLS with ${servers} failed: ${scrub(messageOf(e), secrets)}`, { cause: e });
    }
    if (e instanceof errors.TimeoutError) {
      throw new ConnectionFailedError(
        `could not connect to any NATS server of server_url (${servers}): ${await whyTimedOut(config.servers, timeoutMs)}`,
        { cause: e },
      );
    }
    if (e instanceof errors.ConnectionError || hasErrno(e)) {
      throw new ConnectionFailedError(
        `could not connect to any NATS server of server_url (${servers}): ${scrub(messageOf(e), secrets)}`,
        { cause: e },
      );
    }
    throw toJetflowError(e, { doing: `connecting to ${servers}`, secrets });
  }
}

/**
 * nats.js's connect, except that a client without a certificate facing servers that all require
 * one fails at once with a message saying so: such a server closes the TLS session after the
 * handshake, which nats.js only reports as a timeout. Their INFO line says it (`tls_verify`).
 * The INFO lines are read before nats.js starts: an attempt of its own could not be called off,
 * and its timer would keep the process alive for the whole connect timeout.
 */
async function connectOrExplain(options: NodeConnectionOptions, config: NatsConnectConfig): Promise<NatsConnection> {
  if (config.tls.required && config.tls.certFile === undefined) {
    if (await allRequireClientCert(config.servers, GREETING_MS)) {
      throw new ConnectionFailedError(
        `TLS with ${config.servers.join(", ")} failed: the server requires a client certificate (mutual TLS); ` +
          "set tls.cert_file and tls.key_file",
      );
    }
  }
  return connect(options);
}

/** Why a connect timed out, from what the servers say first on a plain TCP connection. */
async function whyTimedOut(servers: readonly string[], timeoutMs: number): Promise<string> {
  const greetings = await Promise.all(servers.map((s) => readGreeting(s, GREETING_MS)));
  const silent = servers.filter((_, i) => greetings[i]?.kind === "silent");
  if (silent.length > 0) {
    return `${silent.join(", ")} accepted the connection but sent no NATS greeting: not a NATS client port, or the server is hung`;
  }
  return `the handshake did not complete within ${timeoutMs} ms`;
}

function authOptions(config: NatsConnectConfig): Partial<NodeConnectionOptions> {
  switch (config.connectMode) {
    case "plain":
      return {};
    case "user_and_password":
      return { user: config.username ?? "", pass: config.password ?? "" };
    case "token":
      return { token: config.token ?? "" };
    case "credential": {
      if (config.credentialsFile !== undefined) {
        return { authenticator: credsAuthenticator(readFile("credentials_file", config.credentialsFile)) };
      }
      const seed = new TextEncoder().encode(config.nkey ?? "");
      return {
        authenticator: config.jwt === undefined ? nkeyAuthenticator(seed) : jwtAuthenticator(config.jwt, seed),
      };
    }
  }
}

function readFile(key: string, file: string): Uint8Array {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    throw new InvalidOptionError(
      key,
      `${key} '${file}' cannot be read: ${(e as NodeJS.ErrnoException).code ?? messageOf(e)}`,
    );
  }
}

/** Checks a TLS file is readable now, so the error names the option instead of surfacing mid-handshake. */
function readable(key: string, file: string): string {
  readFile(key, file);
  return file;
}

function hasErrno(e: unknown): boolean {
  return typeof (e as { code?: unknown })?.code === "string" && /^E[A-Z]+$/.test((e as { code: string }).code);
}

function isTlsError(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  if (
    typeof code === "string" &&
    (code.startsWith("ERR_TLS") || code.startsWith("ERR_SSL") || /CERT|SIGNATURE|ISSUER/.test(code))
  ) {
    return true;
  }
  return e instanceof errors.InvalidArgumentError && /tls/i.test(e.message);
}
