import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

/** A nats-server the demo starts from PATH on a free port, with JetStream in a temp directory. */
export interface LocalServer {
  readonly url: string;
  stop(): Promise<void>;
}

export async function startLocalNatsServer(): Promise<LocalServer> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "jetflow-demo-"));
  const proc = spawn("nats-server", ["-js", "-a", "127.0.0.1", "-p", String(port), "-sd", dir], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let log = "";
  await new Promise<void>((resolve, reject) => {
    proc.once("error", (e: NodeJS.ErrnoException) =>
      reject(
        new Error(
          e.code === "ENOENT"
            ? "nats-server is not on PATH: install it (apt-get install -y nats-server) or pass --server URL"
            : `cannot start nats-server: ${e.message}`,
        ),
      ),
    );
    proc.once("exit", (code) =>
      reject(new Error(`nats-server exited with code ${code}: ${log.trim().split("\n").pop() ?? ""}`)),
    );
    proc.stderr?.on("data", (b: Buffer) => {
      log += b.toString();
      if (log.includes("Server is ready")) resolve();
    });
  });
  proc.removeAllListeners("exit");
  const cleanup = () => {
    proc.kill("SIGKILL");
    fs.rmSync(dir, { recursive: true, force: true });
  };
  process.once("exit", cleanup);
  return {
    url: `nats://127.0.0.1:${port}`,
    stop: async () => {
      const exited = new Promise((r) => proc.once("exit", r));
      proc.kill("SIGTERM");
      await exited;
      process.removeListener("exit", cleanup);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const a = srv.address();
      srv.close(() => (typeof a === "object" && a !== null ? resolve(a.port) : reject(new Error("no free port"))));
    });
  });
}
