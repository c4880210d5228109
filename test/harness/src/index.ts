export { NatsServer } from "./nats-server.js";
export { startStrictServer, unknownFieldReply } from "./strict-server.js";
export {
  binaryVersion,
  harnessServerVersion,
  installedServers,
  natsServerBinary,
  newestServerBinary,
  parseServerVersion,
  versionAtLeast,
  WHEEL_SERVER_BINARY,
} from "./server-binary.js";
export type { ServerVersion } from "./server-binary.js";
export type { NatsServerOptions, ClientAuth, AuthSetup } from "./nats-server.js";
export { freePort, waitForPort } from "./free-port.js";
export { canonicalRows } from "./canonical-rows.js";
export { jwtOperator, nkey, tls, token, userPassword } from "./auth.js";
export type {
  JwtAuthSetup,
  JwtClient,
  JwtOperatorOptions,
  JwtUserOptions,
  TlsAuthSetup,
  TlsClient,
  TlsSetupOptions,
  UserPermissions,
} from "./auth.js";
export { connectOptions } from "./connect-options.js";
export { runNode, runNodeScript } from "./node-script.js";
export type { NodeScriptResult } from "./node-script.js";
