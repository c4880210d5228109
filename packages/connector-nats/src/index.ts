export type {
  AckPolicy,
  ConnectMode,
  NatsConsumerOptions,
  NatsCreateStreamOptions,
  NatsSourceConfig,
  NatsTlsOptions,
  StartupMode,
} from "./config.js";
export { NATS_OPTION_KEYS } from "./config.js";
export { resolveNatsOptions } from "./resolve-options.js";
export type { NatsConnectConfig } from "./connect.js";
export { connectNats } from "./connect.js";
export type { SourceRuntimeOptions } from "./runtime-options.js";
export type { SourceStatus } from "./source-status.js";
export { NatsSource } from "./nats-source.js";
export {
  AuthenticationFailedError,
  ConnectionFailedError,
  ConsumerFailedError,
  PermissionDeniedError,
  StreamNotFoundError,
} from "./errors.js";
export { streamNameViolations } from "./stream-name.js";
