import { InvalidOptionError } from "@jetflow/core/base";

/** The servers of `server_url`, as nats.js takes them, and whether any asked for TLS (`tls://`). */
export interface ServerList {
  readonly servers: string[];
  readonly tls: boolean;
}

const FORMS = "'host:port', 'nats://host:port' or 'tls://host:port'";

/**
 * Parses server addresses: `host:port`, `host` (port 4222), `nats://host:port` or
 * `tls://host:port` (TLS required). Credentials in the URL are refused so they never end up in
 * logs; use `username`/`password` or `token`.
 *
 * @example
 * ```ts
 * parseServerUrls("server_url", ["a:4222", "tls://b:4443"]); // { servers: [...], tls: true }
 * ```
 */
export function parseServerUrls(key: string, items: readonly string[]): ServerList {
  if (items.length === 0) throw new InvalidOptionError(key, `${key} must name at least one server (${FORMS})`);
  let tls = false;
  const servers = items.map((item) => {
    const text = item.trim();
    const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(text)?.[1]?.toLowerCase();
    if (scheme !== undefined && scheme !== "nats" && scheme !== "tls") {
      throw new InvalidOptionError(key, `${key} entry '${text}' has scheme '${scheme}://'; use ${FORMS}`);
    }
    let url: URL;
    try {
      url = new URL(scheme === undefined ? `nats://${text}` : text);
    } catch {
      throw new InvalidOptionError(key, `${key} entry '${redactUserInfo(text)}' is not a server address; use ${FORMS}`);
    }
    if (url.username !== "" || url.password !== "") {
      throw new InvalidOptionError(
        key,
        `${key} entry '${redactUserInfo(text)}' carries credentials; use connect_mode with username/password or token instead`,
      );
    }
    if (url.hostname === "" || (url.pathname !== "" && url.pathname !== "/") || url.search !== "" || url.hash !== "") {
      throw new InvalidOptionError(key, `${key} entry '${text}' is not a server address; use ${FORMS}`);
    }
    if (scheme === "tls") tls = true;
    const port = url.port === "" ? "4222" : url.port;
    return `${scheme ?? "nats"}://${url.hostname}:${port}`;
  });
  return { servers, tls };
}

function redactUserInfo(text: string): string {
  return text.replace(/\/\/[^@/]*@/, "//***@");
}
