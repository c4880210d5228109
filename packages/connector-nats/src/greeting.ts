import net from "node:net";

/**
 * What a NATS server says first on a plain TCP connection: its `INFO {...}` line (sent before
 * any TLS upgrade), nothing at all, or a refused connection. Used to explain, in one line, the
 * connect failures nats.js only reports as a timeout: a server that wants a client certificate
 * (it closes the TLS session after the handshake, which nats.js never surfaces) and a port that
 * accepts connections but never speaks NATS.
 */
export type Greeting =
  | { readonly kind: "info"; readonly tlsVerify: boolean }
  | { readonly kind: "silent" }
  | { readonly kind: "unreachable" };

/** Reads the greeting of `server` (`nats://host:port` or `tls://host:port`), waiting at most `timeoutMs`. */
export function readGreeting(server: string, timeoutMs: number): Promise<Greeting> {
  let host: string;
  let port: number;
  try {
    const url = new URL(server);
    host = url.hostname.replace(/^\[(.*)\]$/, "$1");
    port = Number(url.port === "" ? 4222 : url.port);
  } catch {
    return Promise.resolve({ kind: "unreachable" });
  }
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    let text = "";
    const done = (g: Greeting) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(g);
    };
    const timer = setTimeout(() => done({ kind: "silent" }), timeoutMs);
    timer.unref();
    socket.on("error", () => done({ kind: "unreachable" }));
    socket.on("close", () => done(text === "" ? { kind: "unreachable" } : parse(text)));
    socket.on("data", (b: Buffer) => {
      text += b.toString("latin1");
      if (text.includes("\n") || text.length > 64 * 1024) done(parse(text));
    });
  });
}

function parse(text: string): Greeting {
  const m = /^INFO\s+(\{.*\})/.exec(text);
  if (m === null) return { kind: "silent" };
  try {
    const info = JSON.parse(m[1] as string) as { tls_verify?: unknown };
    return { kind: "info", tlsVerify: info.tls_verify === true };
  } catch {
    return { kind: "silent" };
  }
}

/**
 * True when every server of `servers` that greeted requires a client certificate (`tls_verify` in
 * its INFO) and at least one greeted: a client without one cannot connect to any of them.
 */
export async function allRequireClientCert(servers: readonly string[], timeoutMs: number): Promise<boolean> {
  const greetings = await Promise.all(servers.map((s) => readGreeting(s, timeoutMs)));
  const greeted = greetings.filter((g) => g.kind === "info");
  return greeted.length > 0 && greeted.every((g) => g.tlsVerify);
}
