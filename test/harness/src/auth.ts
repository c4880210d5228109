import { createUser } from "@nats-io/nkeys";
import { configLine, randomSecret, serverPermissions, type UserPermissions } from "./auth-config.js";
import type { AuthSetup } from "./nats-server.js";

export type { UserPermissions } from "./auth-config.js";

export { jwtOperator } from "./jwt-auth.js";
export type { JwtAuthSetup, JwtClient, JwtOperatorOptions, JwtUserOptions } from "./jwt-auth.js";
export { tls } from "./tls.js";
export type { TlsAuthSetup, TlsClient, TlsSetupOptions } from "./tls.js";

function nonEmpty(option: string, value: string): string {
  if (typeof value !== "string" || value === "") throw new TypeError(`${option} must be a non-empty string`);
  return value;
}

/**
 * User/password auth. Without permissions the server gets `authorization { user, password }`;
 * with permissions it gets a `users` list holding that one user and its deny lists.
 *
 * @param user - @default "jetflow"
 * @param password - @default a random secret
 * @param permissions - subjects the user may not use. @default none
 * @example
 * ```ts
 * await using server = await NatsServer.start({ auth: userPassword() });
 * const nc = await connect(connectOptions(server.client));
 * ```
 */
export function userPassword(
  user = "jetflow",
  password: string = randomSecret(),
  permissions: UserPermissions = {},
): AuthSetup {
  nonEmpty("userPassword(user)", user);
  nonEmpty("userPassword(password)", password);
  const perms = serverPermissions(permissions);
  const config =
    perms === undefined
      ? configLine("authorization", { user, password })
      : configLine("authorization", { users: [{ user, password, permissions: perms }] });
  return { config, client: { user, pass: password } };
}

/**
 * Token auth: `authorization { token }`.
 *
 * @param tok - @default a random secret
 * @example
 * ```ts
 * await using server = await NatsServer.start({ auth: token() });
 * const nc = await connect(connectOptions(server.client));
 * ```
 */
export function token(tok: string = randomSecret()): AuthSetup {
  nonEmpty("token(tok)", tok);
  return { config: configLine("authorization", { token: tok }), client: { token: tok } };
}

/**
 * NKey auth with a user key pair generated now: the server lists the public key, the client
 * signs the server's nonce with the seed. `publicKey` is returned for assertions.
 *
 * @param permissions - subjects the user may not use. @default none
 * @example
 * ```ts
 * await using server = await NatsServer.start({ auth: nkey() });
 * const nc = await connect(connectOptions(server.client));
 * ```
 */
export function nkey(permissions: UserPermissions = {}): AuthSetup & { readonly publicKey: string } {
  const kp = createUser();
  const publicKey = kp.getPublicKey();
  const perms = serverPermissions(permissions);
  const entry = perms === undefined ? { nkey: publicKey } : { nkey: publicKey, permissions: perms };
  return {
    config: configLine("authorization", { users: [entry] }),
    client: { nkeySeed: new TextDecoder().decode(kp.getSeed()) },
    publicKey,
  };
}
