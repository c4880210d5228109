import { sqlPipeline } from "@jetflow/sql";
import { harnessServerVersion, versionAtLeast } from "@jetflow/test-harness";
import { connect } from "@nats-io/transport-node";
import { beforeAll, describe, expect, it } from "vitest";
import { GroupError } from "./errors.js";
import { GroupPipeline } from "./group-pipeline.js";
import { useServer } from "./testing/server-fixture.js";

// Groups need 2.11 (leases with per-message TTL).
const groups = versionAtLeast(harnessServerVersion(), 2, 11);

describe.runIf(groups)("a group's partition pipeline that fails (nats-server 2.11+)", () => {
  const fx = useServer();
  beforeAll(async () => {
    await fx.jsm.streams.add({ name: "strict", subjects: ["strict.>"] });
  });

  it("fails the member with the partition and the pipeline's reason (bad_message.policy = 'fail')", async () => {
    const sql = `CREATE TABLE t (id int, v varchar, PRIMARY KEY (id))
      WITH (connector = 'nats', server_url = '${fx.server.url}', connect_mode = 'plain', subject = 'strict.t',
            stream = 'strict', bad_message.policy = 'fail') FORMAT PLAIN ENCODE JSON;`;
    await fx.js.publish("strict.t", JSON.stringify({ id: 1, v: "a" }));
    await fx.js.publish("strict.t", "{not json");
    const nc = await connect({ servers: fx.server.url });
    try {
      const g = await GroupPipeline.start(nc, await sqlPipeline().sql(sql).plan(), {
        group: "strict",
        stateBucket: "strict-state",
        partitions: 2,
        member: { leaseSeconds: 2 },
      });
      const failure = await g.failed.catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(GroupError);
      // The router of the only input runs in partition 0; the reason names the stream sequence.
      expect((failure as GroupError).message).toMatch(/^group "strict": partition 0 failed: .*sequence 2/);
      await g.leave();
    } finally {
      await nc.close();
    }
  }, 60_000);
});
