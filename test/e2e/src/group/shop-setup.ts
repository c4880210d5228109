import fs from "node:fs";
import path from "node:path";
import { addStream } from "../sql/publish.js";
import { type ShopNames, shopNames, shopPipelineSql } from "./shop-sql.js";

/** A shop ready to run: its stream exists, its SQL file is written. */
export interface ShopSetup {
  readonly names: ShopNames;
  readonly sqlFile: string;
  /** `jetflow run FILE.sql --group ... --state-bucket ...` with the scenario's group settings: 8 partitions, 2 s leases, commits every 200 ms. */
  readonly memberArgs: readonly string[];
}

/** Creates a fresh shop (see {@link shopNames}) on the server at `url`, its SQL file in `dir`. */
export async function setUpShop(url: string, dir: string, label: string): Promise<ShopSetup> {
  const names = shopNames(label);
  await addStream({ servers: url }, names.stream, [`${names.tag}.>`]);
  const sqlFile = path.join(dir, `${names.tag}.sql`);
  fs.writeFileSync(sqlFile, shopPipelineSql(url, names));
  const memberArgs = [
    ...["run", sqlFile, "--group", names.group, "--state-bucket", names.stateBucket],
    ...["--partitions", "8", "--lease-seconds", "2", "--checkpoint-interval", "200"],
  ];
  return { names, sqlFile, memberArgs };
}
