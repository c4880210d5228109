import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { NatsServer } from "@jetflow/test-harness";
import { afterAll, beforeAll } from "vitest";
import { ReferenceSql } from "../reference-sql.js";
import { consumingStarted, createStream, type OrderEvent, publishEvents } from "../workload.js";
import { killLiveClis, loadReference, type OrderRun, startOrderRun } from "./support.js";

/**
 * The set-up of the suites that break the nats-server under a run (server-faults,
 * checkpoint-cut): a server of their own to kill, PostgreSQL for the expected answers, and a
 * temp dir for SQL files and state.
 */
export interface FaultSuite {
  /** The nats-server the tests break; set by beforeAll. */
  readonly server: NatsServer;
  /** PGlite, one for the whole file (slow to start); each test loads its own schema. */
  readonly db: ReferenceSql;
  readonly dir: string;
}

/**
 * Registers the {@link FaultSuite} set-up in the calling describe block: started in beforeAll,
 * and in afterAll every background CLI killed, the server and its store removed, PGlite closed
 * and the temp dir (`jetflow-<name>-…`) deleted. Read the fields inside tests, not before.
 */
export function faultSuite(name: string): FaultSuite {
  const suite: { server?: NatsServer; db?: ReferenceSql; dir?: string } = {};
  beforeAll(async () => {
    suite.server = await NatsServer.start();
    suite.db = await ReferenceSql.open();
    suite.dir = fs.mkdtempSync(path.join(os.tmpdir(), `jetflow-${name}-`));
  });
  afterAll(async () => {
    killLiveClis();
    await suite.server?.dispose();
    await suite.db?.close();
    if (suite.dir !== undefined) fs.rmSync(suite.dir, { recursive: true, force: true });
  });
  const set = <T>(field: string, value: T | undefined): T => {
    if (value === undefined) throw new Error(`faultSuite: ${field} is set by beforeAll; read it inside a test`);
    return value;
  };
  return {
    get server() {
      return set("server", suite.server);
    },
    get db() {
      return set("db", suite.db);
    },
    get dir() {
      return set("dir", suite.dir);
    },
  };
}

/**
 * Readies stream `stream` (subjects `stream.*`) for a fault test: `events` loaded into
 * PostgreSQL under the schema `stream` FIRST (PGlite blocks this process while it loads, which
 * would shift the faults' timing, or stall an in-process pipeline's NATS requests into timeouts
 * of the test's own doing), then the stream created and the first `published` events published
 * on `stream.a`.
 */
export async function prepareStream(
  suite: FaultSuite,
  stream: string,
  events: readonly OrderEvent[],
  published: number,
): Promise<void> {
  await loadReference(suite.db, stream, events);
  await createStream(suite.server.url, stream, [`${stream}.*`]);
  await publishEvents(suite.server.url, stream, `${stream}.a`, events.slice(0, published));
}

/**
 * {@link prepareStream}, then the order pipeline started on it through the CLI in live mode
 * (`startOrderRun`); resolves once both of its consumers deliver, so a fault hits a run in progress.
 */
export async function startFaultRun(
  suite: FaultSuite,
  stream: string,
  events: readonly OrderEvent[],
  published: number,
  opts: Parameters<typeof startOrderRun>[4] = {},
): Promise<OrderRun> {
  await prepareStream(suite, stream, events, published);
  const run = await startOrderRun(suite.dir, suite.server.url, stream, `${stream}.*`, opts);
  await consumingStarted(suite.server.url, stream, 2);
  return run;
}
