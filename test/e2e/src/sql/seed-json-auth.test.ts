import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  type AuthSetup,
  NatsServer,
  connectOptions,
  jwtOperator,
  nkey,
  token,
  userPassword,
} from "@jetflow/test-harness";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseJsonLines, runCli } from "../cli-process.js";
import { sortRows } from "../reference-sql.js";
import { orderEvents } from "../workload.js";
import { addStream, publishRaw } from "./publish.js";

/**
 * The seed (v1) page's JSON syntax block with every option filled in, as the block writes them:
 * a server list, `connect_mode` as a bare word, backtick-quoted jwt/nkey/startup values, the
 * comment lines, a trailing comma — against the harness's auth variants, one server each. The
 * block itself leaves out three commas (after `connect_mode=...`, `password=...` and
 * `scan.startup.mode=...`); RisingWave would refuse that too, and so does jetflow, pointing at the spot.
 */

interface Variant {
  readonly name: string;
  readonly auth: () => Promise<AuthSetup> | AuthSetup;
  /** The optional-parameters section for this mode (the block's lines for it, values filled in). */
  readonly options: (client: NatsServer["client"]) => string;
  /** Secrets that must never be printed. */
  readonly secrets: (client: NatsServer["client"]) => string[];
}

const VARIANTS: readonly Variant[] = [
  {
    name: "plain",
    auth: () => ({ config: "", client: {} }),
    options: () => "   connect_mode=plain,",
    secrets: () => [],
  },
  {
    name: "user_and_password",
    auth: () => userPassword("jetflow", "Seed-v1-pa55word"),
    options: (c) => `   connect_mode=user_and_password,\n   username='${c.user}',\n   password='${c.pass}',`,
    secrets: (c) => [c.pass ?? ""],
  },
  {
    name: "credential (jwt + nkey, operator mode)",
    auth: () => jwtOperator(),
    options: (c) => `   connect_mode=credential,\n   jwt=\`${c.jwt}\`,\n   nkey=\`${c.nkeySeed}\`,`,
    secrets: (c) => [c.nkeySeed ?? "", c.jwt ?? ""],
  },
  {
    name: "credential (nkey alone)",
    auth: () => nkey(),
    options: (c) => `   connect_mode=credential,\n   nkey=\`${c.nkeySeed}\`,`,
    secrets: (c) => [c.nkeySeed ?? ""],
  },
  {
    name: "credential (.creds file)",
    auth: () => jwtOperator(),
    options: (c) => `   connect_mode=credential,\n   credentials_file='${c.credsFile}',`,
    secrets: (c) => [c.nkeySeed ?? ""],
  },
  {
    name: "token",
    auth: () => token("seed-v1-token-value"),
    options: (c) => `   connect_mode=token,\n   token='${c.token}',`,
    secrets: (c) => [c.token ?? ""],
  },
];

/** The syntax block, filled in. `delivery` is the delivery-parameters section. */
function seedV1(servers: string, optional: string, delivery: string): string {
  return `CREATE TABLE IF NOT EXISTS orders
(
   order_id bigint PRIMARY KEY,
   region varchar,
   amount double precision
)
WITH (
   connector='nats',
   server_url='${servers}',
   subject='orders.new',
   stream='orders',

-- optional parameters
${optional}

-- delivery parameters
${delivery}
)
FORMAT PLAIN ENCODE JSON;
`;
}

/** Events with distinct keys, so that the table holds exactly the events read. */
const EVENTS = orderEvents(300, 1).map(({ region, amount }, i) => ({ order_id: i, region, amount }));

describe("the seed's JSON syntax block, every option filled in, each connect_mode", () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "jetflow-seedv1-"));
  });
  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const variant of VARIANTS) {
    it(`${variant.name}: reads from scan.startup.timestamp_millis on, the first row exactly`, async () => {
      await using server = await NatsServer.start({ auth: await variant.auth() });
      const client = connectOptions(server.client);
      await addStream(client, "orders", ["orders.new"]);
      const publish = (events: readonly object[]) =>
        publishRaw(
          client,
          "orders",
          events.map((e) => ({ subject: "orders.new", payload: JSON.stringify(e) })),
        );
      await publish(EVENTS.slice(0, 100));
      await new Promise((r) => setTimeout(r, 30)); // the two halves cannot share a millisecond
      const [firstOfSecondHalf] = await publish(EVENTS.slice(100));
      const millis = await storedMillis(client, firstOfSecondHalf as number);

      // A second server_url that refuses connections: the list is tried until one answers.
      const servers = `${server.url.replace("nats://", "")},127.0.0.1:1`;
      const delivery = `   scan.startup.mode=\`timestamp_millis\`,\n   scan.startup.timestamp_millis='${millis}',`;
      const file = path.join(dir, `${variant.name.replace(/\W+/g, "_")}.sql`);
      fs.writeFileSync(file, seedV1(servers, variant.options(server.client), delivery));

      const r = await runCli(["run", file, "--until-caught-up", "--print", "orders"]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(parseJsonLines(r.stdout)).toEqual(sortRows(EVENTS.slice(100)));
      for (const secret of variant.secrets(server.client)) {
        expect(r.stdout).not.toContain(secret);
      }
    });
  }

  it("the block verbatim, with its three missing commas, fails at the first one with line and column", async () => {
    const block = seedV1(
      "127.0.0.1:4222",
      "   connect_mode=user_and_password\n   username='jetflow',\n   password='Seed-v1-pa55word'",
      "   scan.startup.mode=`earliest`",
    );
    const file = path.join(dir, "verbatim.sql");
    fs.writeFileSync(file, block);
    const r = await runCli(["run", file, "--until-caught-up"]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(
      /verbatim\.sql: line 15, column 4: expected ',' or '\)' after option connect_mode, found 'username'/,
    );
    expect(r.stderr).not.toContain("Seed-v1-pa55word");
  });

  it("options of another connect_mode are refused by name, before anything connects", async () => {
    const file = path.join(dir, "mixed.sql");
    fs.writeFileSync(
      file,
      seedV1(
        "127.0.0.1:1",
        "   connect_mode=credential,\n   username='jetflow',\n   password='Seed-v1-pa55word',\n   jwt=`a.b.c`,\n   nkey=`SUAxx`,",
        "   scan.startup.mode=`earliest`,",
      ),
    );
    const r = await runCli(["run", file, "--until-caught-up"]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/username is only used with connect_mode = 'user_and_password'/);
    expect(r.stderr).not.toContain("Seed-v1-pa55word");
    expect(r.stderr).not.toContain("SUAxx");
  });
});

/** The server's stored time of message `seq`, in whole milliseconds (what timestamp_millis compares with). */
async function storedMillis(client: ReturnType<typeof connectOptions>, seq: number): Promise<number> {
  const nc = await connect(client);
  try {
    const m = await (await jetstreamManager(nc)).streams.getMessage("orders", { seq });
    if (m === null) throw new Error(`message ${seq} is not in the stream`);
    return Math.floor(Date.parse(m.timestamp));
  } finally {
    await nc.close();
  }
}
