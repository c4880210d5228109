import {
  type Account,
  type KeyPair,
  createAccount,
  createOperator,
  createUser,
  encodeAccount,
  encodeOperator,
  encodeUser,
  fmtCreds,
  type User,
} from "@nats-io/jwt";
import { configLine, type UserPermissions } from "./auth-config.js";
import type { AuthSetup, ClientAuth } from "./nats-server.js";
import { secretDir, writeSecret } from "./secret-dir.js";

/** Credentials of one JWT user: its JWT, its seed and a `.creds` file holding both. */
export type JwtClient = Omit<ClientAuth, "url"> & {
  readonly jwt: string;
  readonly nkeySeed: string;
  readonly credsFile: string;
};

/** A user to mint in the JetStream account. */
export interface JwtUserOptions extends UserPermissions {
  /** The user's name in its JWT. @default "jetflow" */
  readonly name?: string;
}

export interface JwtOperatorOptions extends JwtUserOptions {
  /** The JetStream account's name. @default "JETFLOW" */
  readonly account?: string;
}

/** A decentralized-auth setup: operator, system account, a JetStream account and its first user. */
export interface JwtAuthSetup extends AuthSetup {
  readonly client: JwtClient;
  readonly operatorPublicKey: string;
  readonly systemAccountPublicKey: string;
  /** The account that has JetStream enabled and holds the users. */
  readonly accountPublicKey: string;
  /**
   * Mints another user of the same account (signed by the account key, so the running server
   * accepts it without a reload), e.g. one with narrower permissions.
   */
  addUser(options?: JwtUserOptions): Promise<JwtClient>;
}

// Every NATS limit lifted (-1 = unlimited); nats-server rejects connections under zero limits.
const natsUnlimited = {
  subs: -1,
  data: -1,
  payload: -1,
  imports: -1,
  exports: -1,
  wildcards: true,
  conn: -1,
  leaf: -1,
};
// JetStream is enabled for an account only when its JWT grants storage; -1 = unlimited.
const jetStreamUnlimited = { mem_storage: -1, disk_storage: -1, streams: -1, consumer: -1 };

/**
 * Decentralized JWT auth generated now with a memory resolver: an operator, a system account,
 * an account with JetStream enabled and a user in it (optionally denied some subjects).
 * The client gets the user JWT, its seed and a `.creds` file (removed when the process exits).
 *
 * @example
 * ```ts
 * const auth = await jwtOperator({ denySubscribe: ["secret.>"] });
 * await using server = await NatsServer.start({ auth });
 * const nc = await connect(connectOptions(server.client));
 * const other = await auth.addUser({ name: "reader" });
 * ```
 */
export async function jwtOperator(options: JwtOperatorOptions = {}): Promise<JwtAuthSetup> {
  const operator = createOperator();
  const system = createAccount();
  const account = createAccount();
  const dir = secretDir("jwt");
  const operatorJwt = await encodeOperator("jetflow-operator", operator, {
    system_account: system.getPublicKey(),
  });
  const systemJwt = await encodeAccount("SYS", system, { limits: natsUnlimited }, { signer: operator });
  const accountClaims: Partial<Account> = { limits: { ...natsUnlimited, ...jetStreamUnlimited } };
  const accountJwt = await encodeAccount(options.account ?? "JETFLOW", account, accountClaims, { signer: operator });

  let users = 0;
  const addUser = async (user: JwtUserOptions = {}): Promise<JwtClient> =>
    mintUser(account, dir, `user-${++users}.creds`, user);

  const config = [
    configLine("operator", operatorJwt),
    configLine("system_account", system.getPublicKey()),
    "resolver: MEMORY",
    configLine("resolver_preload", {
      [account.getPublicKey()]: accountJwt,
      [system.getPublicKey()]: systemJwt,
    }),
  ].join("\n");
  return {
    config,
    client: await addUser(options),
    operatorPublicKey: operator.getPublicKey(),
    systemAccountPublicKey: system.getPublicKey(),
    accountPublicKey: account.getPublicKey(),
    addUser,
  };
}

async function mintUser(account: KeyPair, dir: string, file: string, options: JwtUserOptions): Promise<JwtClient> {
  const user = createUser();
  const claims: Partial<User> = {};
  if (options.denySubscribe !== undefined && options.denySubscribe.length > 0) {
    claims.sub = { deny: [...options.denySubscribe] };
  }
  if (options.denyPublish !== undefined && options.denyPublish.length > 0) {
    claims.pub = { deny: [...options.denyPublish] };
  }
  const jwt = await encodeUser(options.name ?? "jetflow", user, account, claims);
  const credsFile = writeSecret(dir, file, fmtCreds(jwt, user));
  return { jwt, nkeySeed: new TextDecoder().decode(user.getSeed()), credsFile };
}
