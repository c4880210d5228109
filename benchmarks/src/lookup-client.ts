import http from "node:http";

/** What the serving process tells the load clients. */
export type LookupClientCommand =
  | {
      readonly type: "start";
      /** The server's `http://host:port`. */
      readonly url: string;
      /** Paths probed in turn (`/api/relations/t?id=7`, ...). */
      readonly paths: readonly string[];
      /** Concurrent lookups per burst (one keep-alive socket each). */
      readonly clients: number;
      /** A burst starts every this many milliseconds (or when the previous one ended, if later). */
      readonly burstEveryMs: number;
    }
  /** Keep the round trips from now on (warm-up is over). */
  | { readonly type: "count" }
  /** Finish the burst in flight, report and exit. */
  | { readonly type: "stop" };

/** What the load clients tell the serving process. */
export type LookupClientReport =
  /** Every socket is open (one uncounted burst went through): start publishing. */
  { readonly type: "warm" } | { readonly type: "done"; readonly samples: number[]; readonly failures: number };

/**
 * Load clients of the `serve-lookups` benchmark, in a process of their own (forked by
 * `serve-lookups.ts`): their HTTP work and event-loop delays are not the server's, so a round trip
 * measures what a separate client would see. Bursts of `clients` concurrent GETs over a keep-alive
 * agent with one socket per client; each sample is one GET's round trip, body read.
 */
function main(): void {
  let counting = false;
  let stopping = false;
  // The serving process went away (killed at a timeout, say): nothing left to measure.
  process.once("disconnect", () => process.exit(0));
  process.on("message", (command: LookupClientCommand) => {
    if (command.type === "start") void run(command);
    else if (command.type === "count") counting = true;
    else stopping = true;
  });

  async function run(start: Extract<LookupClientCommand, { type: "start" }>): Promise<void> {
    const agent = new http.Agent({ keepAlive: true, maxSockets: start.clients, maxFreeSockets: start.clients });
    const samples: number[] = [];
    let failures = 0;
    let next = 0;
    const lookup = async (): Promise<void> => {
      const path = start.paths[next++ % start.paths.length] as string;
      const t0 = performance.now();
      const status = await get(agent, `${start.url}${path}`);
      if (status !== 200) failures++;
      if (counting) samples.push(performance.now() - t0);
    };
    const burst = () => Promise.all(Array.from({ length: start.clients }, lookup));
    await burst();
    failures = 0;
    await send({ type: "warm" });
    while (!stopping) {
      const began = performance.now();
      await burst();
      const rest = start.burstEveryMs - (performance.now() - began);
      if (rest > 0) await new Promise((r) => setTimeout(r, rest));
    }
    agent.destroy();
    await send({ type: "done", samples, failures });
    process.exit(0);
  }
}

function send(report: LookupClientReport): Promise<void> {
  return new Promise((resolve) => {
    process.send?.(report, undefined, {}, () => resolve());
  });
}

/** One GET, its body read and dropped; resolves with the status (0 on a connection error). */
function get(agent: http.Agent, url: string): Promise<number> {
  return new Promise((resolve) => {
    http
      .get(url, { agent }, (res) => {
        res.resume();
        res.once("end", () => resolve(res.statusCode ?? 0));
        res.once("error", () => resolve(0));
      })
      .once("error", () => resolve(0));
  });
}

main();
