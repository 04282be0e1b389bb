import { afterAll, beforeAll } from "vitest";
import { createNatsBus } from "../../sdk/bus/nats/index.js";
import { pipeline } from "../../sdk/pipeline/pipeline.js";
import { describeWithNats, startNatsServer, type NatsServerHandle } from "../helpers/nats-server.js";
import { busContract } from "./bus-contract.js";

const definition = pipeline("contract")
  .code("a", () => ({}))
  .toJSON();

describeWithNats("bus contract: NATS JetStream", () => {
  let server: NatsServerHandle;
  let counter = 0;
  beforeAll(async () => {
    server = await startNatsServer();
  });
  afterAll(async () => {
    await server?.dispose();
  });
  busContract(async () => {
    const bus = await createNatsBus({ servers: [server.url], ackWaitMs: 5000 });
    const runId = `contract-${++counter}`;
    await bus.openRun({ runId, definition });
    return {
      bus,
      runId,
      dispose: async () => {
        await bus.closeRun(runId);
        await bus.close();
      },
    };
  });
});
