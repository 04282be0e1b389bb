/**
 * `matrix deploy slurm|k8s [options] [--out FILE]`: generates a SLURM batch script or Kubernetes
 * manifests for a Matrix cluster (3-node NATS with JetStream replicas 3, vLLM/SGLang servers that
 * register in the endpoint registry, workers). Prints to stdout unless --out is given.
 *
 * Where you are: `cli/`, loaded only when `matrix deploy` runs (flags in program.ts). The generators
 * are deploy-slurm.ts and deploy-k8s.ts; docs/cluster.md explains how to use what they produce.
 */
import { writeFileSync } from "node:fs";
import type { CliIo } from "./cli-io.js";
import { k8sManifests, renderManifests } from "./deploy-k8s.js";
import { deployOptions } from "./deploy-options.js";
import { slurmScript } from "./deploy-slurm.js";
import type { DeployK8sFlags, DeploySlurmFlags } from "./program.js";

const kebab = (name: string) => name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);

export async function command(
  target: "slurm" | "k8s",
  flags: DeploySlurmFlags | DeployK8sFlags,
  io: CliIo,
): Promise<number> {
  const options = deployOptions(Object.fromEntries(Object.entries(flags).map(([key, value]) => [kebab(key), value])));
  const text =
    target === "slurm" ? slurmScript(options, (flags as DeploySlurmFlags).run) : renderManifests(k8sManifests(options));
  if (flags.out) {
    writeFileSync(flags.out, text, target === "slurm" ? { mode: 0o755 } : {});
    io.stderr(`wrote ${flags.out}\n`);
  } else io.stdout(text);
  return 0;
}
