import { runCeiling } from "./ceiling.js";
import { runPeer } from "./peer.js";
import type { ScenarioResult, WorkerRequest } from "./scenario.js";

/**
 * Runs one scenario in this process. jetflow's modules are imported only by the scenarios that
 * use them, so the baselines' peak RSS does not include them.
 */
export async function runScenario(
  request: WorkerRequest,
  ready: () => void = () => undefined,
): Promise<ScenarioResult> {
  const { scenario, url, expected } = request;
  switch (scenario.kind) {
    case "ceiling":
      return runCeiling(scenario, url, expected);
    case "peer":
      return runPeer(scenario, url, expected);
    case "jetflow": {
      const { runJetflow } = await import("./jetflow-scenario.js");
      return runJetflow(scenario, url, expected);
    }
    case "group": {
      const { runGroup } = await import("./group-scenario.js");
      return runGroup(scenario, url, expected);
    }
    case "latency": {
      if (scenario.lookups !== undefined) {
        const { runServingLookups } = await import("./serve-lookups.js");
        return runServingLookups(scenario, url, ready);
      }
      if (scenario.floor === true) {
        const { runLatencyFloor } = await import("./latency-floor.js");
        return runLatencyFloor(scenario, url, ready);
      }
      const { runLatency } = await import("./jetflow-latency.js");
      return runLatency(scenario, url, ready);
    }
  }
}
