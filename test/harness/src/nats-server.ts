import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort, waitForPort } from "./free-port.js";
import { binaryVersion, natsServerBinary, type ServerVersion } from "./server-binary.js";

/** What a test needs to connect to a harness server: servers plus the auth/TLS pieces of its variant. */
export interface ClientAuth {
  /** `nats://127.0.0.1:PORT` or `tls://127.0.0.1:PORT`. */
  readonly url: string;
  readonly user?: string;
  readonly pass?: string;
  readonly token?: string;
  /** NKey seed (nkey variant). */
  readonly nkeySeed?: string;
  /** User JWT and its NKey seed (jwt variant). */
  readonly jwt?: string;
  /** A `.creds` file with the JWT and seed (jwt variant). */
  readonly credsFile?: string;
  /** CA certificate file that signed the server certificate (tls variant). */
  readonly caFile?: string;
  /** Client certificate and key (tls variant with `verify: true`). */
  readonly certFile?: string;
  readonly keyFile?: string;
}

/** The extra server configuration and client credentials of one auth variant. */
export interface AuthSetup {
  /** Lines added to the server config file. */
  readonly config: string;
  /** Credentials for the client; `url` is filled in by the harness. */
  readonly client: Omit<ClientAuth, "url">;
  /** True when clients must use `tls://`. */
  readonly tls?: boolean;
}

export interface NatsServerOptions {
  /** An auth variant from `auth.ts`; default: none. */
  readonly auth?: AuthSetup;
  /** Extra raw config lines. */
  readonly config?: string;
  /** Max payload in bytes. @default server default (1 MiB) */
  readonly maxPayload?: number;
  /**
   * The nats-server binary to run, e.g. `newestServerBinary().binary` for a test of a feature only
   * new servers have. @default `natsServerBinary()` (`JETFLOW_NATS_SERVER`, else `nats-server` on PATH)
   */
  readonly binary?: string;
  /**
   * JetStream's strict API mode (`jetstream { strict: true }`, nats-server 2.11+; on by default
   * since 2.12): a request with a field the server does not know is refused. @default the server's
   */
  readonly strict?: boolean;
}

const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const p of live) p.kill("SIGKILL");
});

/**
 * A real nats-server with JetStream on a free port and a temporary store, for tests.
 * Stop it with `stop()` (or `await using`); `restart()` brings it back on the same port and
 * store, `kill()` ends it hard. Every server is killed when the test process exits.
 *
 * @example
 * ```ts
 * await using server = await NatsServer.start();
 * const nc = await connect({ servers: server.url });
 * ```
 */
export class NatsServer {
  private proc: ChildProcess | undefined;
  private log = "";

  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly configFile: string,
    readonly client: ClientAuth,
    /** The binary this server runs. */
    readonly binary: string,
  ) {}

  static async start(options: NatsServerOptions = {}): Promise<NatsServer> {
    const port = await freePort();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "jetflow-nats-"));
    const store = path.join(dir, "jetstream");
    const lines = [
      `listen: "127.0.0.1:${port}"`,
      `jetstream { store_dir: ${JSON.stringify(store)}, max_memory_store: 256MB, max_file_store: 8GB${
        options.strict === undefined ? "" : `, strict: ${options.strict}`
      } }`,
      options.maxPayload === undefined ? "" : `max_payload: ${options.maxPayload}`,
      options.auth?.config ?? "",
      options.config ?? "",
    ];
    const configFile = path.join(dir, "nats.conf");
    fs.writeFileSync(configFile, lines.join("\n"));
    const scheme = options.auth?.tls === true ? "tls" : "nats";
    const binary = options.binary ?? natsServerBinary();
    const server = new NatsServer(
      port,
      dir,
      configFile,
      { ...options.auth?.client, url: `${scheme}://127.0.0.1:${port}` },
      binary,
    );
    await server.launch();
    return server;
  }

  /** `nats://127.0.0.1:PORT` (or `tls://`). */
  get url(): string {
    return this.client.url;
  }

  /** The version of the running binary (from `--version`), for version-gated tests. */
  get version(): ServerVersion {
    return binaryVersion(this.binary);
  }

  get running(): boolean {
    return this.proc !== undefined;
  }

  /** What the server printed, for failing tests. */
  get output(): string {
    return this.log;
  }

  /** Stops the server gracefully (SIGTERM, then SIGKILL after 5 s). */
  async stop(): Promise<void> {
    await this.end("SIGTERM");
  }

  /** Kills the server at once, as a crash would. */
  async kill(): Promise<void> {
    await this.end("SIGKILL");
  }

  /** Stops (if running) and starts again on the same port and store. */
  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }

  /** Starts the server again after `stop()`/`kill()`. */
  async resume(): Promise<void> {
    if (this.proc === undefined) await this.launch();
  }

  /** Stops the server and removes its store. */
  async dispose(): Promise<void> {
    await this.kill();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }

  private async launch(): Promise<void> {
    const proc = spawn(this.binary, ["-c", this.configFile], { stdio: ["ignore", "pipe", "pipe"] });
    live.add(proc);
    this.proc = proc;
    let ready: () => void = () => {};
    const isReady = new Promise<void>((resolve) => {
      ready = resolve;
    });
    const append = (b: Buffer) => {
      this.log = (this.log + b.toString()).slice(-20_000);
      // Printed once JetStream has recovered its store and clients are served.
      if (this.log.includes("Server is ready")) ready();
    };
    this.log = "";
    proc.stdout?.on("data", append);
    proc.stderr?.on("data", append);
    proc.once("exit", () => {
      live.delete(proc);
      if (this.proc === proc) this.proc = undefined;
    });
    try {
      await Promise.race([
        waitForPort(this.port, 10_000).then(() => isReady),
        new Promise((_, reject) =>
          proc.once("exit", (code) => reject(new Error(`nats-server exited with ${code}:\n${this.log}`))),
        ),
      ]);
    } catch (e) {
      proc.kill("SIGKILL");
      throw e;
    }
  }

  private async end(signal: NodeJS.Signals): Promise<void> {
    const proc = this.proc;
    if (proc === undefined) return;
    const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
    proc.kill(signal);
    const timer = setTimeout(() => proc.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  }
}
