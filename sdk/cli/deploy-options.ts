/**
 * What `matrix deploy` generates for: cluster shape, inference engine and model, images. Shared by the
 * SLURM and Kubernetes generators.
 *
 * Where you are: `cli/`. Defaults match DESIGN §6: a 3-node NATS cluster with JetStream replicas 3,
 * vLLM servers that register in the endpoint registry, and generic workers.
 */
import { ConfigError } from "../errors.js";
import { UsageError } from "./usage-error.js";

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
  /**
   * Runtime the workers run model-written code in (code roles, the code-verify recipe): `apptainer`
   * on SLURM clusters (with `sandboxImage`), `bwrap` where bubblewrap is installed. @default unset (bwrap)
   */
  sandbox?: "bwrap" | "apptainer";
  /** The Apptainer image: a .sif path on the nodes, or a URI such as docker://python:3.12-slim. */
  sandboxImage?: string;
}

/** The defaults, shown in `matrix deploy --help` (program.ts reads them from here). */
export const DEPLOY_DEFAULTS = {
  model: "meta-llama/Llama-3.1-8B-Instruct",
  engine: "vllm",
  servers: 2,
  gpusPerServer: 1,
  workers: 2,
  concurrency: 64,
  natsReplicas: 3,
  namespace: "matrix",
  image: "matrix-ts:latest",
  natsImage: "nats:2.9-alpine",
  time: "04:00:00",
  storeDir: "$HOME/matrix-jetstream/$SLURM_JOB_ID",
} as const satisfies Partial<DeployOptions>;

type Value = string | number | undefined;

const text = (value: Value): string | undefined => (value === undefined ? undefined : String(value));

const positive = (name: string, value: Value, fallback: number): number => {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1)
    throw new ConfigError(`--${name}`, `expected a positive whole number, got '${value}'`);
  return number;
};

/** From flag values by kebab-case name: strings (as typed) or numbers (as commander parsed them). */
export function deployOptions(values: Record<string, Value>): DeployOptions {
  const engine = String(values.engine ?? DEPLOY_DEFAULTS.engine);
  if (engine !== "vllm" && engine !== "sglang")
    throw new ConfigError("--engine", `expected 'vllm' or 'sglang', got '${engine}'`);
  const natsReplicas = positive("nats-replicas", values["nats-replicas"], DEPLOY_DEFAULTS.natsReplicas);
  const sandbox = text(values.sandbox);
  if (sandbox !== undefined && sandbox !== "bwrap" && sandbox !== "apptainer")
    throw new ConfigError("--sandbox", `expected 'bwrap' or 'apptainer', got '${sandbox}'`);
  if (sandbox === "apptainer" && values["sandbox-image"] === undefined)
    throw new UsageError("--sandbox-image", "--sandbox apptainer needs an image (a .sif on the nodes or docker://...)");
  return {
    model: text(values.model) ?? DEPLOY_DEFAULTS.model,
    engine,
    servers: positive("servers", values.servers, DEPLOY_DEFAULTS.servers),
    gpusPerServer: positive("gpus-per-server", values["gpus-per-server"], DEPLOY_DEFAULTS.gpusPerServer),
    workers: positive("workers", values.workers, DEPLOY_DEFAULTS.workers),
    concurrency: positive("concurrency", values.concurrency, DEPLOY_DEFAULTS.concurrency),
    natsReplicas,
    namespace: text(values.namespace) ?? DEPLOY_DEFAULTS.namespace,
    image: text(values.image) ?? DEPLOY_DEFAULTS.image,
    natsImage: text(values["nats-image"]) ?? DEPLOY_DEFAULTS.natsImage,
    engineImage: text(values["engine-image"]),
    partition: text(values.partition),
    account: text(values.account),
    time: text(values.time) ?? DEPLOY_DEFAULTS.time,
    storeDir: text(values["store-dir"]) ?? DEPLOY_DEFAULTS.storeDir,
    ...(sandbox !== undefined ? { sandbox } : {}),
    ...(values["sandbox-image"] !== undefined ? { sandboxImage: String(values["sandbox-image"]) } : {}),
  };
}

/** The worker flags that choose its sandbox (nothing when the options leave the default). */
export function sandboxArgs(options: DeployOptions): string[] {
  return [
    ...(options.sandbox ? ["--sandbox", options.sandbox] : []),
    ...(options.sandboxImage ? ["--sandbox-image", options.sandboxImage] : []),
  ];
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
