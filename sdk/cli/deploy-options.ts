/**
 * What `matrix deploy` generates for: cluster shape, inference engine and model, images. Shared by the
 * SLURM and Kubernetes generators.
 *
 * Where you are: `cli/`. Defaults match DESIGN §6: a 3-node NATS cluster with JetStream replicas 3,
 * vLLM servers that register in the endpoint registry, and generic workers.
 */
import { ConfigError } from "../errors.js";

export interface DeployOptions {
  /** Model served by the inference servers (a Hugging Face id or a path). */
  model: string;
  /** `vllm` or `sglang`. @default "vllm" */
  engine: "vllm" | "sglang";
  /** Inference servers (one per node on SLURM, one per pod on Kubernetes). @default 2 */
  servers: number;
  /** GPUs per inference server (tensor parallel size). @default 1 */
  gpusPerServer: number;
  /** Worker processes (SLURM: one per worker node; Kubernetes: pods). @default 2 */
  workers: number;
  /** Tasks per role a worker handles at once. @default 64 */
  concurrency: number;
  /** NATS servers; JetStream replicates streams, KV and objects over min(3, this). @default 3 */
  natsReplicas: number;
  /** Kubernetes namespace. @default "matrix" */
  namespace: string;
  /** Image with this repository at /app (workers, registration sidecars). @default "matrix-ts:latest" */
  image: string;
  /** NATS image: the 2.9 line, whose features the bus uses. @default "nats:2.9-alpine" */
  natsImage: string;
  /** Inference image. @default vllm/vllm-openai:latest or lmsysorg/sglang:latest */
  engineImage?: string;
  /** SLURM: partition, account, time limit, and where JetStream stores its files. */
  partition?: string;
  account?: string;
  time: string;
  storeDir: string;
}

const positive = (name: string, value: string | undefined, fallback: number): number => {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1)
    throw new ConfigError(`--${name}`, `expected a positive whole number, got '${value}'`);
  return number;
};

export function deployOptions(values: Record<string, string | undefined>): DeployOptions {
  const engine = values.engine ?? "vllm";
  if (engine !== "vllm" && engine !== "sglang")
    throw new ConfigError("--engine", `expected 'vllm' or 'sglang', got '${engine}'`);
  const natsReplicas = positive("nats-replicas", values["nats-replicas"], 3);
  return {
    model: values.model ?? "meta-llama/Llama-3.1-8B-Instruct",
    engine,
    servers: positive("servers", values.servers, 2),
    gpusPerServer: positive("gpus-per-server", values["gpus-per-server"], 1),
    workers: positive("workers", values.workers, 2),
    concurrency: positive("concurrency", values.concurrency, 64),
    natsReplicas,
    namespace: values.namespace ?? "matrix",
    image: values.image ?? "matrix-ts:latest",
    natsImage: values["nats-image"] ?? "nats:2.9-alpine",
    engineImage: values["engine-image"],
    partition: values.partition,
    account: values.account,
    time: values.time ?? "04:00:00",
    storeDir: values["store-dir"] ?? "$HOME/matrix-jetstream/$SLURM_JOB_ID",
  };
}

/** Replicas for JetStream assets: 3 on a cluster of 3 or more, else what there is. */
export function jetStreamReplicas(options: DeployOptions): number {
  return Math.min(3, options.natsReplicas);
}

/** The command that starts the inference server, listening on 0.0.0.0:8000. */
export function engineCommand(options: DeployOptions): string[] {
  if (options.engine === "sglang")
    return [
      "python3",
      "-m",
      "sglang.launch_server",
      "--model-path",
      options.model,
      "--host",
      "0.0.0.0",
      "--port",
      "8000",
      "--tp",
      String(options.gpusPerServer),
    ];
  return [
    "vllm",
    "serve",
    options.model,
    "--host",
    "0.0.0.0",
    "--port",
    "8000",
    "--tensor-parallel-size",
    String(options.gpusPerServer),
  ];
}
