import fs from "node:fs";
import { connect, credsAuthenticator, type NatsConnection } from "@nats-io/transport-node";
import { serversFlag } from "./args.js";
import { UsageError } from "./errors.js";

/** Connection flags shared by `load` and `demo`. */
export interface ClientFlags {
  readonly servers: string[];
  readonly user?: string | undefined;
  readonly password?: string | undefined;
  readonly token?: string | undefined;
  readonly creds?: string | undefined;
}

/** The flags of a command that connects (`load`, `doctor`): servers, credentials, and the common ones. */
export const CLIENT_FLAG_SPEC = {
  server: { type: "string" },
  user: { type: "string" },
  password: { type: "string" },
  token: { type: "string" },
  creds: { type: "string" },
  verbose: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

/** The {@link ClientFlags} of parsed {@link CLIENT_FLAG_SPEC} values; `--server` is required. */
export function clientFlags(
  command: string,
  values: {
    server?: string | undefined;
    user?: string | undefined;
    password?: string | undefined;
    token?: string | undefined;
    creds?: string | undefined;
  },
): ClientFlags {
  const servers = serversFlag(values.server);
  if (servers === undefined) throw new UsageError(`${command}: --server is required`);
  return { servers, user: values.user, password: values.password, token: values.token, creds: values.creds };
}

/** Connects with the flags' credentials; the error names the servers, never a secret. */
export async function connectClient(flags: ClientFlags): Promise<NatsConnection> {
  // A silent port fails after 5 s, as a source's first connect does (nats.js waits 20 s).
  const options: Parameters<typeof connect>[0] = { servers: flags.servers, name: "jetflow-cli", timeout: 5_000 };
  if (flags.user !== undefined) Object.assign(options, { user: flags.user, pass: flags.password ?? "" });
  if (flags.token !== undefined) Object.assign(options, { token: flags.token });
  if (flags.creds !== undefined) {
    let creds: Uint8Array;
    try {
      creds = fs.readFileSync(flags.creds);
    } catch (e) {
      throw new UsageError(`cannot read --creds ${flags.creds}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    Object.assign(options, { authenticator: credsAuthenticator(creds) });
  }
  try {
    return await connect(options);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new Error(`cannot connect to ${flags.servers.join(", ")}: ${reason}`, { cause: e });
  }
}
