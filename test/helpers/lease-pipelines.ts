/**
 * Pipelines the driver-process tests run in a child process (test/helpers/driver-main.ts), by name.
 *
 * Where you are: test helpers. `chat`: one LLM call per row, then a code role checking it.
 */
import { pipeline } from "../../sdk/pipeline/pipeline.js";

export const pipelines = {
  chat: pipeline("lease-chat")
    .chat("ask", { prompt: "Say {{row.id}}" })
    .code("tag", (task) => ({ state: { said: task.history.at(-1)?.content } })),
  code: pipeline("lease-code")
    .code("a", (task) => ({ state: { a: Number(task.row!.n) * 2 } }))
    .code("b", async (task) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return { content: `b=${task.state.a}` };
    }),
};

export const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `r${i}`, n: i }));
