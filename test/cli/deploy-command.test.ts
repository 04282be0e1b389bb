import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { k8sManifests, renderManifests } from "../../sdk/cli/deploy-k8s.js";
import { deployOptions } from "../../sdk/cli/deploy-options.js";
import { slurmScript } from "../../sdk/cli/deploy-slurm.js";
import { natsServerBinary } from "../helpers/nats-server.js";
import { tempDir } from "../helpers/temp-dir.js";

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function parse(text: string): Doc[] {
  // The manifests are JSON documents separated by `---`, i.e. YAML that JSON.parse can check.
  return text.split("\n---\n").map((doc) => JSON.parse(doc) as Doc);
}

describe("matrix deploy k8s", () => {
  const docs = parse(renderManifests(k8sManifests(deployOptions({ engine: "sglang", servers: "3", workers: "5" }))));
  const find = (kind: string, name: string) => docs.find((d) => d.kind === kind && d.metadata.name === name)!;

  it("every document is a well-formed Kubernetes object in one namespace", () => {
    for (const doc of docs) {
      expect(typeof doc.apiVersion).toBe("string");
      expect(typeof doc.kind).toBe("string");
      expect(typeof doc.metadata.name).toBe("string");
      if (doc.kind !== "Namespace") expect(doc.metadata.namespace).toBe("matrix");
    }
    expect(docs.map((d) => d.kind)).toEqual([
      "Namespace",
      "ConfigMap",
      "Service",
      "Service",
      "StatefulSet",
      "Deployment",
      "Deployment",
    ]);
  });

  it("runs a 3-node NATS cluster with JetStream on persistent volumes, a config nats-server accepts", () => {
    const nats = find("StatefulSet", "nats");
    expect(nats.spec.replicas).toBe(3);
    expect(nats.spec.serviceName).toBe("nats");
    expect(nats.spec.volumeClaimTemplates[0].metadata.name).toBe("jetstream");
    expect(nats.spec.template.spec.containers[0].image).toMatch(/^nats:2\.9/);
    const config: string = find("ConfigMap", "nats-config").data["nats.conf"];
    expect(config).toContain("jetstream {");
    expect(config.match(/nats:\/\/nats-\d\.nats\.matrix\.svc\.cluster\.local:6222/g)).toHaveLength(3);
    if (natsServerBinary) {
      const dir = tempDir();
      writeFileSync(join(dir, "nats.conf"), config.replace("/data/jetstream", join(dir, "js")));
      const check = spawnSync(natsServerBinary, ["-c", join(dir, "nats.conf"), "-t"], {
        encoding: "utf8",
        env: { ...process.env, POD_NAME: "nats-0" },
      });
      expect(check.status, check.stderr).toBe(0);
    }
  });

  it("starts inference servers with GPUs and a sidecar registering each in the endpoint registry", () => {
    const llm = find("Deployment", "llm-sglang");
    expect(llm.spec.replicas).toBe(3);
    const [server, register] = llm.spec.template.spec.containers;
    expect(server.command.slice(0, 3)).toEqual(["python3", "-m", "sglang.launch_server"]);
    expect(server.resources.limits["nvidia.com/gpu"]).toBe(1);
    expect(register.command.join(" ")).toContain('matrix.js endpoint register --url "http://$POD_IP:8000/v1"');
    expect(register.env.find((e: Doc) => e.name === "NATS_URL").value).toBe(
      "nats://nats-client.matrix.svc.cluster.local:4222",
    );
  });

  it("runs workers that drain on SIGTERM, with credentials only from Secrets and JetStream replicas 3", () => {
    const worker = find("Deployment", "matrix-worker");
    expect(worker.spec.replicas).toBe(5);
    expect(worker.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(60);
    const container = worker.spec.template.spec.containers[0];
    expect(container.command).toEqual(["node", "bin/matrix.js", "worker", "--concurrency", "64"]);
    const env = Object.fromEntries(container.env.map((e: Doc) => [e.name, e]));
    expect(env.MATRIX_NATS_REPLICAS.value).toBe("3");
    expect(env.NATS_PASSWORD.valueFrom.secretKeyRef.name).toBe("matrix-nats");
    expect(env.NATS_PASSWORD.value).toBeUndefined();
  });

  it("the CLI prints the same manifests and rejects a bad engine", () => {
    const result = spawnSync(process.execPath, ["bin/matrix.js", "deploy", "k8s", "--workers", "4"], {
      encoding: "utf8",
    });
    expect(result.status, result.stderr).toBe(0);
    expect(parse(result.stdout).find((d) => d.metadata.name === "matrix-worker")!.spec.replicas).toBe(4);
    const bad = spawnSync(process.execPath, ["bin/matrix.js", "deploy", "k8s", "--engine", "tgi"], {
      encoding: "utf8",
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe(
      "matrix deploy k8s: --engine: expected one of vllm, sglang, got 'tgi'; see 'matrix deploy k8s --help'\n",
    );
  });
});

describe("matrix deploy slurm", () => {
  const script = slurmScript(
    deployOptions({ servers: "2", workers: "3", "gpus-per-server": "4" }),
    "quickstart --rows 100",
  );

  it("is a bash batch script that parses", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "matrix.sbatch"), script);
    const check = spawnSync("bash", ["-n", join(dir, "matrix.sbatch")], { encoding: "utf8" });
    expect(check.status, check.stderr).toBe(0);
    expect(script.startsWith("#!/bin/bash\n")).toBe(true);
    expect(script).toContain("#SBATCH --nodes=5");
    expect(script).toContain("#SBATCH --gpus-per-node=4");
  });

  it("clusters NATS with JetStream on 3 nodes, registers vLLM servers, starts workers, runs the driver", () => {
    expect(script).toContain('NATS_NODES=("${NODES[@]:0:3}")');
    expect(script).toContain('"$NATS_SERVER_BIN" -js -sd "$STORE_DIR/nats-$i"');
    expect(script).toContain('--cluster_name matrix --cluster "nats://0.0.0.0:6222" --routes "$ROUTES"');
    expect(script).toContain("export MATRIX_NATS_REPLICAS=3");
    expect(script).toContain(
      "vllm serve meta-llama/Llama-3.1-8B-Instruct --host 0.0.0.0 --port 8000 --tensor-parallel-size 4",
    );
    expect(script).toContain('endpoint register --url "http://$node:8000/v1"');
    expect(script).toContain("worker --concurrency 64");
    expect(script).toContain('run quickstart --rows 100 --bus nats --nats "$NATS_URL"');
  });
});
