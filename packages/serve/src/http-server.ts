import http from "node:http";
import { ErrorCode } from "@jetflow/core";
import type { GroupPipeline } from "@jetflow/group";
import type { Pipeline } from "@jetflow/pipeline";
import { errorResponse, RequestError } from "./errors.js";
import {
  type GroupServeOptions,
  type ResolvedServeOptions,
  resolveServeOptions,
  type ServeOptions,
} from "./options.js";
import { parseRowsQuery } from "./query.js";
import { groupRelations } from "./group-relations.js";
import { pipelineRelations } from "./pipeline-relations.js";
import { rowFormat } from "./row-format.js";
import { jsonArrayChunks, jsonArrayText, keyedJsonText, writeArrowStream, writeChunks } from "./rows-body.js";
import { streamChanges } from "./sse.js";
import type { ServedRelations } from "./served-relations.js";
import { webFile } from "./web.js";

/** The media type of an Arrow IPC stream, for `Accept`. */
export const ARROW_STREAM = "application/vnd.apache.arrow.stream";

const JSON_TYPE = "application/json; charset=utf-8";

/** A running HTTP server of a pipeline. */
export interface JetflowServer {
  readonly port: number;
  readonly host: string;
  /** `http://host:port`. */
  readonly url: string;
  /** SSE clients disconnected so far because their unread bytes passed `maxClientBufferBytes`. */
  readonly droppedClients: number;
  /** Stops listening and closes every connection (SSE streams included). */
  close(): Promise<void>;
}

/**
 * Serves a pipeline over HTTP (one server, on 127.0.0.1 unless `host` says otherwise):
 * - `GET /api/relations`: `[{ name, kind, columns: [{ name, type }], primaryKey, rows }]`
 *   (a view's primary key is its group columns);
 * - `GET /api/relations/NAME[?col=value&...][&limit=N]`: the JSON array of rows, values and order
 *   exactly as `jetflow run --print` gives them; equalities on the primary key (group columns)
 *   are an index probe, others a scan; with `Accept: application/vnd.apache.arrow.stream` the
 *   same rows as an Arrow IPC stream;
 * - `GET /api/relations/NAME/changes`: Server-Sent Events, see {@link streamChanges};
 * - `GET /api/status`: readiness, messages in, consumer lag, bad messages, checkpoint age (the page's feed);
 * - `GET /healthz` (the process is up), `GET /readyz` (200 once every source connected and caught up, else 503);
 * - `GET /metrics`: Prometheus text; `GET /`: the live web page.
 * Errors are JSON `{ "error", "code" }`: 404 unknown relation, 400 unknown column or bad value.
 *
 * Every answer reads rows taken at one instant (between two batches), and formats and sends
 * them in chunks with other work between, so serving never stalls ingestion for long.
 *
 * @example
 * ```ts
 * await p.start();
 * const server = await serve(p, { port: 8080 });
 * // curl 'http://127.0.0.1:8080/api/relations/by_region?region=north'
 * await server.close();
 * ```
 */
export async function serve(p: Pipeline, options: ServeOptions = {}): Promise<JetflowServer> {
  return serveRelations(pipelineRelations(p), options);
}

/**
 * {@link serve} for a member of a group: the same endpoints and answers, each for the WHOLE
 * relation whichever member is asked (see {@link groupRelations}: rows gathered from every
 * partition's owner, lookups by the placement key sent to one partition). `/changes` streams the
 * whole relation's changes found by polling it every `changesPollMs` (see `GroupChangePolls`).
 *
 * @example
 * ```ts
 * const g = await GroupPipeline.start(nc, plan, { group: "shop", stateBucket: "shop-state" });
 * const server = await serveGroup(g, { port: 8080 });
 * // curl 'http://127.0.0.1:8080/api/relations/by_region?region=north' on any member
 * ```
 */
export async function serveGroup(g: GroupPipeline, options: GroupServeOptions = {}): Promise<JetflowServer> {
  const { changesPollMs, ...rest } = options;
  return serveRelations(groupRelations(g, changesPollMs === undefined ? {} : { changesPollMs }), rest);
}

/**
 * The HTTP server of {@link serve} over any {@link ServedRelations}; `close()` closes `served` too.
 */
export async function serveRelations(served: ServedRelations, options: ServeOptions = {}): Promise<JetflowServer> {
  const o = resolveServeOptions(options);
  let droppedClients = 0;
  const onDrop = () => {
    droppedClients++;
    served.countDroppedClient();
  };
  const server = http.createServer((req, res) => {
    route(served, o, onDrop, req, res).catch((e: unknown) => fail(res, e));
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(o.port, o.host, () => resolve());
    });
  } catch (e) {
    served.close();
    throw e;
  }
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : o.port;
  const host = o.host.includes(":") ? `[${o.host}]` : o.host;
  return {
    port,
    host: o.host,
    url: `http://${host}:${port}`,
    get droppedClients() {
      return droppedClients;
    },
    close: async () => {
      served.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

async function route(
  served: ServedRelations,
  o: ResolvedServeOptions,
  onDrop: () => void,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  if (req.method !== "GET" && req.method !== "HEAD") {
    throw new RequestError(405, ErrorCode.NotFound, `${req.method} is not served; every endpoint is GET`);
  }
  const { path, params } = target(req.url ?? "/");
  if (path === "/healthz") return json(res, 200, { status: "ok" });
  if (path === "/readyz") return json(res, served.ready ? 200 : 503, { ready: served.ready });
  if (path === "/metrics") {
    res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
    res.end(served.metricsText());
    return;
  }
  if (path === "/api/status") return json(res, 200, { ready: served.ready, ...served.status() });
  if (path === "/api/relations") return json(res, 200, await served.list());
  const m = /^\/api\/relations\/([^/]+)(\/changes)?$/.exec(path);
  if (m !== null) {
    const relation = served.relation(relationName(m[1] as string));
    if (m[2] !== undefined) {
      streamChanges(res, await relation.changeFeed(), {
        chunkRows: o.chunkRows,
        maxBufferBytes: o.maxClientBufferBytes,
        onDrop,
      });
      return;
    }
    const { equal, limit } = parseRowsQuery(params, relation.columns);
    const format = rowFormat(relation.columns);
    const arrow = (req.headers.accept ?? "").includes(ARROW_STREAM);
    // A probe by key (the usual lookup): its row or two formatted from the relation's own values.
    const found = arrow ? undefined : await relation.lookupByKey(equal);
    if (found !== undefined) return sendJson(res, keyedJsonText(found, format, limit));
    const rows = await relation.lookup(equal);
    if (arrow) {
      res.writeHead(200, { "content-type": ARROW_STREAM });
      await writeArrowStream(res, rows, format, o.chunkRows, limit);
      res.end();
    } else if (rows.numRows <= o.chunkRows) {
      sendJson(res, jsonArrayText(rows, format, limit));
    } else {
      res.writeHead(200, { "content-type": JSON_TYPE });
      await writeChunks(res, jsonArrayChunks(rows, format, o.chunkRows, limit));
      res.end();
    }
    return;
  }
  const file = webFile(path);
  if (file === undefined) throw new RequestError(404, ErrorCode.NotFound, `nothing is served at ${path}`);
  res.writeHead(200, { "content-type": file.type, "cache-control": "no-cache" });
  res.end(file.body);
}

/**
 * A request target's path and query. The usual origin form (`/path?query`) is split by hand:
 * a lookup burst parses thousands of them, and a full URL parse costs more than the probe.
 */
function target(url: string): { path: string; params: URLSearchParams } {
  if (!url.startsWith("/")) {
    const parsed = new URL(url, "http://localhost");
    return { path: parsed.pathname, params: parsed.searchParams };
  }
  const q = url.indexOf("?");
  return q < 0
    ? { path: url, params: new URLSearchParams() }
    : { path: url.slice(0, q), params: new URLSearchParams(url.slice(q + 1)) };
}

/** The relation name of a path segment (`%20` and friends decoded). */
function relationName(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new RequestError(
      400,
      ErrorCode.InvalidValue,
      `the path segment ${JSON.stringify(segment)} is not valid percent-encoding`,
    );
  }
}

/** A small answer's text, sent with its headers in one write. */
function sendJson(res: http.ServerResponse, body: string): void {
  res.writeHead(200, { "content-type": JSON_TYPE, "content-length": Buffer.byteLength(body) });
  res.end(body);
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": JSON_TYPE, "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function fail(res: http.ServerResponse, e: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const { status, body } = errorResponse(e);
  json(res, status, body);
}
