import { connectNats } from "@jetflow/connector-nats";
import { ErrorCode, InvalidOptionError } from "@jetflow/core";
import type { GroupPipeline } from "@jetflow/group";
import type { Pipeline } from "@jetflow/pipeline";
import { type Service, type ServiceMsg, Svcm } from "@nats-io/services";
import type { NatsConnection } from "@nats-io/transport-node";
import { errorResponse, RequestError } from "./errors.js";
import { groupRelationSource } from "./group-relations.js";
import { pipelineRelationSource } from "./pipeline-relations.js";
import { rowFormat } from "./row-format.js";
import { jsonArray, keyedJsonText } from "./rows-body.js";
import type { RelationSource } from "./served-relations.js";

/** Options of {@link natsService}. */
export interface NatsServiceOptions {
  /**
   * The NATS servers to register on, with the first source's auth and TLS.
   * @default the first source's `server_url` (after the pipeline's `servers` option)
   */
  readonly servers?: readonly string[];
  /** A connection to use instead (not closed by `stop()`). */
  readonly connection?: NatsConnection;
  /** The service name, as `nats micro ls` shows it. @default "jetflow" */
  readonly name?: string;
  /** Endpoint subjects are `<prefix>.<relation>`. @default "jetflow.query" */
  readonly subjectPrefix?: string;
}

/** A running NATS query service. */
export interface JetflowNatsService {
  /** The service as nats.js sees it: `info()`, `stats()`. */
  readonly service: Service;
  stop(): Promise<void>;
}

const VERSION = "0.1.0";

/** Rows formatted per step of a large reply (other work runs between steps). */
const REPLY_CHUNK_ROWS = 2000;

/**
 * Registers a NATS service (the NATS micro-service protocol, so `$SRV.PING`, `$SRV.INFO` and
 * `$SRV.STATS` answer as for any service) with one endpoint per relation of the running pipeline,
 * subject `jetflow.query.<relation>`. A request is empty (every row) or a JSON object of column
 * equalities (`{"region": "north"}`: a probe when it covers the relation's key); the reply is the
 * JSON array of rows exactly as `GET /api/relations/NAME` gives them. Errors are service errors
 * (`Nats-Service-Error-Code` 400 for an unknown column or a bad value, 404 for a dropped relation).
 *
 * A relation that `exec()` creates later gets its endpoint as it is created (`relation_created`
 * on `status$`; the server knows the subscription a moment after `exec()` resolves). The services
 * protocol cannot withdraw an endpoint, so a dropped relation's endpoint stays listed and answers
 * not-found (404) until it is created again or the service restarts.
 *
 * @example
 * ```ts
 * const svc = await natsService(p);
 * // from any client: nats req jetflow.query.by_region '{"region":"north"}'
 * await svc.stop();
 * ```
 * @throws InvalidOptionError when the pipeline has no source to borrow a server from and none is given
 */
export async function natsService(p: Pipeline, options: NatsServiceOptions = {}): Promise<JetflowNatsService> {
  const name = options.name ?? "jetflow";
  let nc = options.connection;
  if (nc === undefined) {
    const first = p.firstSourceConnection();
    if (first === undefined && options.servers === undefined) {
      throw new InvalidOptionError(
        "servers",
        "natsService: the pipeline has no source to take a server from; pass servers",
      );
    }
    const base = first ?? { servers: [], connectMode: "plain" as const, tls: { required: false } };
    nc = await connectNats(options.servers === undefined ? base : { ...base, servers: [...options.servers] }, {
      name: `${name}-service`,
    });
  }
  return serviceOf(pipelineRelationSource(p), nc, options.connection === undefined ? nc : undefined, options);
}

/**
 * {@link natsService} for a member of a group: the same `jetflow` service and endpoints, each
 * answering for the WHOLE relation (gathered from every partition's owner, a lookup by the
 * relation's placement key from its partition alone; see `groupRelations`). Every member may
 * register it: NATS services share endpoints as a queue group, so a request goes to one member.
 * It registers on `connection`, else on the group's own connection (`g.nc`).
 *
 * @example
 * ```ts
 * const svc = await groupNatsService(g);
 * // nats req jetflow.query.by_region '{"region":"north"}' (any member answers for the group)
 * ```
 * @throws InvalidOptionError for `servers` (a group member has no source connection to take the
 *   auth from: connect, and pass `connection`)
 */
export async function groupNatsService(
  g: GroupPipeline,
  options: NatsServiceOptions = {},
): Promise<JetflowNatsService> {
  if (options.servers !== undefined) {
    throw new InvalidOptionError(
      "servers",
      "groupNatsService: servers is not read for a group member; connect to them and pass connection",
    );
  }
  return serviceOf(groupRelationSource(g), options.connection ?? g.nc, undefined, options);
}

/** The service over `source`'s relations on `nc` (closing `owned` on stop). */
async function serviceOf(
  source: RelationSource,
  nc: NatsConnection,
  owned: NatsConnection | undefined,
  options: NatsServiceOptions,
): Promise<JetflowNatsService> {
  const name = options.name ?? "jetflow";
  const prefix = options.subjectPrefix ?? "jetflow.query";
  // @nats-io/services is typed against its own nats-core build; the connection is the same protocol.
  const service = await new Svcm(nc as never).add({
    name,
    version: VERSION,
    description: "jetflow: rows of a running pipeline's tables and views",
  });
  const endpoints = new Set<string>();
  const dropped = new Set<string>();
  const add = (relation: string): void => {
    dropped.delete(relation);
    if (endpoints.has(relation)) return;
    endpoints.add(relation);
    service.addEndpoint(relation, {
      subject: `${prefix}.${relation}`,
      handler: (err, msg) => {
        if (err === null) void answer(source, relation, dropped, msg);
      },
    });
  };
  for (const relation of source.names()) add(relation);
  // Relations that exec() creates later get their endpoint as they come. The services protocol
  // has no way to withdraw an endpoint: a dropped relation's endpoint answers not-found.
  const changes = source.events$?.subscribe((e) => {
    if (e.type === "created") {
      add(e.relation);
      // The new subscription reaches the server soon after exec() resolves; flush to make it sooner.
      void nc.flush().catch(() => undefined);
    } else dropped.add(e.relation);
  });
  // The endpoints' subscriptions reach the server before this resolves: a request sent right
  // after (from another connection) finds a responder. nats-server 2.10+ made the race visible.
  await nc.flush();
  return {
    service,
    async stop() {
      changes?.unsubscribe();
      await service.stop();
      await owned?.close();
    },
  };
}

async function answer(
  source: RelationSource,
  relation: string,
  dropped: ReadonlySet<string>,
  msg: ServiceMsg,
): Promise<void> {
  try {
    if (dropped.has(relation)) {
      throw new RequestError(
        404,
        ErrorCode.UnknownRelation,
        `relation "${relation}" was dropped; its endpoint stays listed until the service restarts (a NATS service cannot withdraw an endpoint)`,
      );
    }
    const r = source.relation(relation);
    const equal = requestEqualities(msg.data);
    const format = rowFormat(r.columns);
    const found = await r.lookupByKey(equal);
    msg.respond(
      found !== undefined
        ? keyedJsonText(found, format)
        : await jsonArray(await r.lookup(equal), format, REPLY_CHUNK_ROWS),
    );
  } catch (e) {
    const { status, body } = errorResponse(e);
    msg.respondError(status, body.error, JSON.stringify(body));
  }
}

function requestEqualities(data: Uint8Array): Record<string, unknown> {
  const text = new TextDecoder().decode(data).trim();
  if (text === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new RequestError(400, ErrorCode.InvalidValue, "a request is empty or a JSON object of column equalities");
  }
  return value as Record<string, unknown>;
}
