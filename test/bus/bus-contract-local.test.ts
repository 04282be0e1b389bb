import { describe } from "vitest";
import { createLocalBus } from "../../sdk/bus/local-bus.js";
import { busContract } from "./bus-contract.js";

describe("bus contract: local", () => {
  busContract(async () => {
    const bus = createLocalBus();
    return { bus, runId: "r", dispose: () => bus.close() };
  });
});
