/**
 * `matrix deploy slurm|k8s [options] [--out FILE]`: generates a SLURM batch script or Kubernetes
 * manifests for a Matrix cluster (3-node NATS with JetStream replicas 3, vLLM/SGLang servers that
 * register in the endpoint registry, workers). Prints to stdout unless --out is given.
 *
 * Where you are: `cli/`. The generators are deploy-slurm.ts and deploy-k8s.ts; docs/cluster.md explains
 * how to use what they produce.
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import type { CliIo } from "./cli-io.js";
import { k8sManifests, renderManifests } from "./deploy-k8s.js";
import { deployOptions } from "./deploy-options.js";
import { slurmScript } from "./deploy-slurm.js";

const HELP = `Usage: matrix deploy slurm|k8s [options]

  --model NAME            model the inference servers load (default meta-llama/Llama-3.1-8B-Instruct)
  --engine vllm|sglang    inference server (default vllm)
  --servers N             inference servers (default 2)
  --gpus-per-server N     GPUs (tensor parallel size) per server (default 1)
  --workers N             workers (default 2)
  --concurrency N         tasks per role per worker (default 64)
  --nats-replicas N       NATS servers; JetStream replicas min(3, N) (default 3)
  --image IMAGE           image with this repository at /app (k8s; default matrix-ts:latest)
  --engine-image IMAGE    inference image (k8s)
  --namespace NS          Kubernetes namespace (default matrix)
  --partition P --account A --time T --store-dir DIR   SLURM settings
  --run "RECIPE ARGS"     SLURM: run this pipeline on the cluster once it is up
  --out FILE              write to FILE instead of stdout
`;

export async function command(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: Object.fromEntries(
      [
        "model",
        "engine",
        "servers",
        "gpus-per-server",
        "workers",
        "concurrency",
        "nats-replicas",
        "image",
        "nats-image",
        "engine-image",
        "namespace",
        "partition",
        "account",
        "time",
        "store-dir",
        "run",
        "out",
      ]
        .map((name) => [name, { type: "string" as const }])
        .concat([["help", { type: "boolean" as const, short: "h" } as never]]),
    ) as Record<string, { type: "string" }>,
  });
  const target = positionals[0];
  if (values.help || (target !== "slurm" && target !== "k8s")) {
    (values.help ? io.stdout : io.stderr)(HELP);
    return values.help ? 0 : 2;
  }
  const options = deployOptions(values as Record<string, string | undefined>);
  const text =
    target === "slurm"
      ? slurmScript(options, values.run as string | undefined)
      : renderManifests(k8sManifests(options));
  if (values.out) {
    writeFileSync(values.out as string, text, target === "slurm" ? { mode: 0o755 } : {});
    io.stderr(`wrote ${values.out}\n`);
  } else io.stdout(text);
  return 0;
}
