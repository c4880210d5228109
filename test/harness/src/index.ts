export { NatsServer, natsServerBinary } from "./nats-server.js";
export type { NatsServerOptions, ClientAuth, AuthSetup } from "./nats-server.js";
export { freePort, waitForPort } from "./free-port.js";
