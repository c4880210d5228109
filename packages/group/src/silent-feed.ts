import type { ChangeFeed, FeedSpec } from "@jetflow/pipeline";
import { NEVER } from "rxjs";

/**
 * A feed that never delivers: a source in the partitions where its router does not read it, so
 * that whatever reads the source plans there too (and stays empty).
 */
export function silentFeed(spec: Omit<FeedSpec, "open">): FeedSpec {
  const feed: ChangeFeed = {
    changes$: NEVER,
    lag: () => 0,
    caughtUp: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
  return { ...spec, open: () => Promise.resolve(feed) };
}
