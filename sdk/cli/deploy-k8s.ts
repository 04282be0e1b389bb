/**
 * Kubernetes manifests for a Matrix cluster: a NATS StatefulSet (JetStream, clustered, replicas 3),
 * inference Deployments (vLLM or SGLang) with a sidecar registering each pod in the endpoint
 * registry, and a worker Deployment that drains on SIGTERM.
 *
 * Where you are: `cli/`. Manifests are built as objects and printed as JSON documents separated by
 * `---`: JSON is YAML, so kubectl takes the file as is, and no YAML library is needed to write or
 * check it.
 */
import { engineCommand, jetStreamReplicas, sandboxArgs, type DeployOptions } from "./deploy-options.js";

type Manifest = Record<string, unknown>;

function natsConfig(options: DeployOptions): string {
  const routes = Array.from(
    { length: options.natsReplicas },
    (_, i) => `nats://nats-${i}.nats.${options.namespace}.svc.cluster.local:6222`,
  );
  return [
    "port: 4222",
    "http: 8222",
    "server_name: $POD_NAME",
    "jetstream {",
    "  store_dir: /data/jetstream",
    "  max_file_store: 50Gi",
    "}",
    ...(options.natsReplicas > 1
      ? ["cluster {", "  name: matrix", "  port: 6222", `  routes: [${routes.join(", ")}]`, "}"]
      : []),
    "",
  ].join("\n");
}

export function k8sManifests(options: DeployOptions): Manifest[] {
  const ns = options.namespace;
  const labels = (app: string) => ({ app, "app.kubernetes.io/part-of": "matrix" });
  const natsUrl = `nats://nats-client.${ns}.svc.cluster.local:4222`;
  const replicasEnv = { name: "MATRIX_NATS_REPLICAS", value: String(jetStreamReplicas(options)) };
  // Credentials come from an optional Secret, never from the manifest itself.
  const natsSecretEnv = ["NATS_USER", "NATS_PASSWORD", "NATS_TOKEN"].map((name) => ({
    name,
    valueFrom: { secretKeyRef: { name: "matrix-nats", key: name, optional: true } },
  }));
  const engineImage =
    options.engineImage ?? (options.engine === "sglang" ? "lmsysorg/sglang:latest" : "vllm/vllm-openai:latest");
  return [
    { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } },
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "nats-config", namespace: ns },
      data: { "nats.conf": natsConfig(options) },
    },
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "nats", namespace: ns, labels: labels("nats") },
      spec: {
        clusterIP: "None",
        selector: { app: "nats" },
        ports: [
          { name: "client", port: 4222 },
          { name: "cluster", port: 6222 },
          { name: "monitor", port: 8222 },
        ],
      },
    },
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "nats-client", namespace: ns, labels: labels("nats") },
      spec: { selector: { app: "nats" }, ports: [{ name: "client", port: 4222, targetPort: 4222 }] },
    },
    {
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      metadata: { name: "nats", namespace: ns, labels: labels("nats") },
      spec: {
        serviceName: "nats",
        replicas: options.natsReplicas,
        podManagementPolicy: "Parallel",
        selector: { matchLabels: { app: "nats" } },
        template: {
          metadata: { labels: labels("nats") },
          spec: {
            containers: [
              {
                name: "nats",
                image: options.natsImage,
                args: ["-c", "/etc/nats/nats.conf"],
                env: [{ name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }],
                ports: [
                  { name: "client", containerPort: 4222 },
                  { name: "cluster", containerPort: 6222 },
                  { name: "monitor", containerPort: 8222 },
                ],
                readinessProbe: { httpGet: { path: "/healthz?js-enabled-only=true", port: 8222 } },
                volumeMounts: [
                  { name: "config", mountPath: "/etc/nats" },
                  { name: "jetstream", mountPath: "/data" },
                ],
              },
            ],
            volumes: [{ name: "config", configMap: { name: "nats-config" } }],
          },
        },
        volumeClaimTemplates: [
          {
            metadata: { name: "jetstream" },
            spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "50Gi" } } },
          },
        ],
      },
    },
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: `llm-${options.engine}`, namespace: ns, labels: labels("llm") },
      spec: {
        replicas: options.servers,
        selector: { matchLabels: { app: "llm" } },
        template: {
          metadata: { labels: labels("llm") },
          spec: {
            containers: [
              {
                name: options.engine,
                image: engineImage,
                command: engineCommand(options),
                env: [
                  {
                    name: "HF_TOKEN",
                    valueFrom: { secretKeyRef: { name: "matrix-hf", key: "HF_TOKEN", optional: true } },
                  },
                ],
                ports: [{ name: "http", containerPort: 8000 }],
                resources: { limits: { "nvidia.com/gpu": options.gpusPerServer } },
                readinessProbe: { httpGet: { path: "/v1/models", port: 8000 }, periodSeconds: 10 },
              },
              {
                // Announces this pod's server in the endpoint registry once it answers, and keeps the
                // entry fresh; when the pod goes, the entry expires and workers stop using it.
                name: "register",
                image: options.image,
                workingDir: "/app",
                command: [
                  "sh",
                  "-c",
                  `exec node bin/matrix.js endpoint register --url "http://$POD_IP:8000/v1" --model "${options.model}" --kind ${options.engine} --wait --keep`,
                ],
                env: [
                  { name: "POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
                  { name: "NATS_URL", value: natsUrl },
                  ...natsSecretEnv,
                ],
              },
            ],
          },
        },
      },
    },
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "matrix-worker", namespace: ns, labels: labels("matrix-worker") },
      spec: {
        replicas: options.workers,
        selector: { matchLabels: { app: "matrix-worker" } },
        template: {
          metadata: { labels: labels("matrix-worker") },
          spec: {
            // SIGTERM drains: the worker stops pulling and finishes the hops in hand (long LLM calls).
            terminationGracePeriodSeconds: 300,
            containers: [
              {
                name: "worker",
                image: options.image,
                workingDir: "/app",
                command: [
                  "node",
                  "bin/matrix.js",
                  "worker",
                  "--concurrency",
                  String(options.concurrency),
                  ...sandboxArgs(options),
                ],
                // bubblewrap and Apptainer build user namespaces, which the runtime's default seccomp
                // profile refuses; the pod itself stays unprivileged.
                ...(options.sandbox
                  ? { securityContext: { seccompProfile: { type: "Unconfined" }, allowPrivilegeEscalation: false } }
                  : {}),
                env: [
                  { name: "NATS_URL", value: natsUrl },
                  { name: "MATRIX_WORKER_ID", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
                  replicasEnv,
                  ...natsSecretEnv,
                  {
                    name: "OPENAI_API_KEY",
                    valueFrom: { secretKeyRef: { name: "matrix-llm", key: "OPENAI_API_KEY", optional: true } },
                  },
                ],
              },
            ],
          },
        },
      },
    },
  ];
}

/** JSON documents separated by `---`: valid YAML for kubectl. */
export function renderManifests(manifests: Manifest[]): string {
  return `${manifests.map((manifest) => JSON.stringify(manifest, null, 2)).join("\n---\n")}\n`;
}
