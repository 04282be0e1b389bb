/**
 * The `matrix` command tree, declared with commander: every command, argument, flag, value type and
 * range, default and environment fallback. Help, `--version`, "did you mean" suggestions, the usage
 * errors and shell completion are all generated from this tree, so they cannot drift from the flags.
 *
 * Where you are: `cli/`, loaded on every start, so it stays cheap: commander, the value parsers and
 * plain data only. Each command's action imports its own module (`./run-command.js`, ...) on demand,
 * which is what keeps `matrix run` from ever loading NATS or Jupyter code. How to add a command or a
 * flag: see sdk/cli/main.ts.
 */
import { Argument, Command, Option, type CommandUnknownOpts, type OptionValues } from "@commander-js/extra-typings";
import { FAULT_KINDS } from "../llm/simulator/faults.js";
import { DEFAULT_PROFILE, SIMULATOR_NUMERIC_KNOBS, SIMULATOR_PROFILES } from "../llm/simulator/profiles.js";
import { RECORD_FORMATS } from "../schema/record-format.js";
import { SCHEDULING_MODES } from "../schema/scheduling-mode.js";
import type { CliIo } from "./cli-io.js";
import { DEPLOY_DEFAULTS } from "./deploy-options.js";
import { withNatsOptions } from "./nats-flags.js";
import { withSandboxOptions } from "./sandbox-flags.js";
import {
  countOption,
  fractionOption,
  keyValueOption,
  nonNegativeNumberOption,
  numberOption,
  portOption,
  positiveNumberOption,
  probabilityOption,
  shapedListOption,
} from "./option-values.js";
import { packageVersion } from "./package-version.js";

/** The options an action receives, as commander parses them from a definition below. */
type Flags<Definition extends () => { opts(): unknown }> = ReturnType<ReturnType<Definition>["opts"]>;

/** An "Environment:" block for variables read by the SDK itself (not a flag's fallback). */
function environment(entries: Record<string, string>): string {
  const width = Math.max(...Object.keys(entries).map((name) => name.length));
  const lines = Object.entries(entries).map(([name, text]) => `  ${name.padEnd(width)}  ${text}`);
  return `\nEnvironment:\n${lines.join("\n")}\n`;
}

const LLM_ENVIRONMENT = {
  OPENAI_BASE_URL: "default for --llm",
  OPENAI_BASE_URLS: "several replicas, comma-separated (wins over OPENAI_BASE_URL)",
  OPENAI_API_KEY: "API key sent to the LLM endpoints (never printed)",
  OPENAI_MODEL: "default for --model",
  MATRIX_LOG_LEVEL: "pino log level on stderr (default warn)",
};

// ---- matrix run -----------------------------------------------------------------------------------

const DECIMAL = String.raw`(\d+(?:\.\d*)?|\.\d+)`;
/** `--price model=input,output`: USD per million prompt and completion tokens. */
export const PRICE_ENTRY = new RegExp(`^(.+)=${DECIMAL},${DECIMAL}$`);
/** `--budget-role role.tokens=N` or `role.cost=X`. */
export const BUDGET_ROLE_ENTRY = new RegExp(`^([A-Za-z][\\w-]*)\\.(tokens|cost)=${DECIMAL}$`);

export const runDefinition = () =>
  withSandboxOptions(
    withNatsOptions(
      new Command("run")
        .description("run a recipe or pipeline file: output under --out, progress on stderr, summary on stdout")
        .argument("<target>", "recipe name, or a pipeline file (.json, or .ts/.js exporting a pipeline)")
        .addOption(countOption("--rows <n>", "read at most N source rows"))
        .addOption(
          keyValueOption("--option <key=value>", "a recipe option, repeatable (e.g. --option domain=mock for tau)"),
        )
        .option(
          "--source <file>",
          "rows from this file instead of the pipeline's: JSONL (also .zst, .gz), CSV or Parquet",
        )
        .addOption(
          new Option(
            "--format <name>",
            "map --source's records from a dataset format (default: the pipeline source's, so a recipe reads real MMLU-Pro/DCLM files as they are)",
          ).choices(RECORD_FORMATS),
        )
        .option("--out <dir>", "output directory (default: out/<pipeline name>)")
        .option("--resume", "skip ids already in the output directory and append to it")
        .option("--parquet", "also write <out>/output.parquet when the run ends")
        .addOption(countOption("--concurrency <n>", "tasks handled at once per role"))
        .addOption(countOption("--max-in-flight <n>", "tasks fed and not yet finished (default 256)"))
        .addOption(
          new Option(
            "--scheduling <mode>",
            "how tasks move between roles: row (peer to peer), or, to compare against, batch (Ray Data-style barriers) or central (one controller); local bus only",
          )
            .choices(SCHEDULING_MODES)
            .default("row" as const),
        )
        .addOption(countOption("--batch-size <n>", "rows per batch with --scheduling batch (default 64)"))
        .addOption(countOption("--trials <n>", "trials per row"))
        .addOption(countOption("--seed <n>", "base seed", 0))
        .option(
          "--llm <url>",
          "OpenAI-compatible base URL (default: OPENAI_BASE_URL(S), else the built-in simulator); with --bus nats also 'workers' (each worker's own), 'registered' (endpoints on NATS) or 'simulator'",
        )
        .option(
          "--llm-key-env <name>",
          "environment variable holding the --llm endpoint's key (on NATS: read on each worker; default OPENAI_API_KEY)",
        )
        .option("--model <name>", "model for chat roles (default: OPENAI_MODEL, else what the endpoint serves)")
        .addOption(positiveNumberOption("--sim-speed <x>", "built-in simulator speed factor").default(50))
        .addOption(
          new Option("--sim-profile <name>", "built-in simulator latency profile").choices(
            Object.keys(SIMULATOR_PROFILES),
          ),
        )
        .addOption(
          new Option("--bus <kind>", "where tasks travel; with nats, `matrix worker` processes serve the roles")
            .choices(["local", "nats"] as const)
            .default("local" as const),
        )
        .addOption(
          new Option(
            "--signing-key <file>",
            "sign the run with this ed25519 key (matrix keygen); workers with trusted keys serve only signed runs",
          )
            .env("MATRIX_SIGNING_KEY")
            .helpGroup("Cluster runs (--bus nats):"),
        )
        .addOption(
          new Option(
            "--detach",
            "feed every row, then leave the run to the workers and exit; collect it with 'matrix attach'",
          ).helpGroup("Cluster runs (--bus nats):"),
        )
        .addOption(
          positiveNumberOption(
            "--abandon-after <minutes>",
            "workers remove the run when its driver has been gone this long and no --resume adopted it (default 10; 1440 with --detach)",
          ).helpGroup("Cluster runs (--bus nats):"),
        )
        .addOption(
          countOption(
            "--offload-threshold <bytes>",
            "turns and rows larger than this travel as refs to the run's content store (default 1024; 0: never); workers follow it",
            0,
          ).helpGroup("Cluster runs (--bus nats):"),
        )
        .option("--quiet", "no progress line")
        .addOption(
          portOption("--metrics-port <port>", "serve Prometheus metrics on GET /metrics (0: any free port)").helpGroup(
            "Operations:",
          ),
        )
        .addOption(
          new Option("--metrics-host <host>", "interface of the metrics endpoint (0.0.0.0: reachable from others)")
            .default("127.0.0.1")
            .helpGroup("Operations:"),
        )
        .addOption(
          new Option("--trace", "record each hop's queue wait, handling and LLM time and size in the task").helpGroup(
            "Operations:",
          ),
        )
        .addOption(
          countOption("--budget-tokens <n>", "stop feeding once the run has spent N tokens").helpGroup("Operations:"),
        )
        .addOption(
          positiveNumberOption("--budget-cost <x>", "stop feeding once the run has cost X (needs --price)").helpGroup(
            "Operations:",
          ),
        )
        .addOption(
          shapedListOption(
            "--budget-role <role.kind=n...>",
            "a role's limit, e.g. judge.tokens=100000 or judge.cost=2",
            BUDGET_ROLE_ENTRY,
            "role.tokens=N or role.cost=X (e.g. judge.tokens=100000)",
          ).helpGroup("Operations:"),
        )
        .addOption(
          shapedListOption(
            "--price <model=in,out...>",
            "price per million prompt,completion tokens, e.g. gpt-x=0.15,0.6",
            PRICE_ENTRY,
            "model=input,output per million tokens (e.g. gpt-x=0.15,0.6)",
          ).helpGroup("Operations:"),
        )
        .addOption(
          new Option("--on-limit <action>", "at a budget limit: finish the tasks in flight, or cancel")
            .choices(["finish", "cancel"] as const)
            .default("finish" as const)
            .helpGroup("Operations:"),
        ),
    ),
  ).addHelpText(
    "after",
    environment(LLM_ENVIRONMENT) +
      "\nWith --bus nats, --resume in the output directory of a run whose driver died (or that was detached)\n" +
      "adopts that run if it is still on NATS: what it finished is written once, nothing it fed is redone.\n",
  );
export type RunFlags = Flags<typeof runDefinition>;

// ---- matrix attach --------------------------------------------------------------------------------

export const attachDefinition = () =>
  withNatsOptions(
    new Command("attach")
      .description("collect a detached run: write what reached its sink (and what still will) once, then remove it")
      .argument("<run-id>", "the run id 'matrix run --detach' printed (also in <out>/run.json)")
      .requiredOption("--out <dir>", "output directory (the detached run's, or a new one)")
      .option("--parquet", "also write <out>/output.parquet when the run ends")
      .option("--quiet", "no progress line"),
  );
export type AttachFlags = Flags<typeof attachDefinition>;

// ---- matrix keygen --------------------------------------------------------------------------------

export const keygenDefinition = () =>
  new Command("keygen")
    .description("write an ed25519 key pair for signing runs: <prefix>.key (private, 0600) and <prefix>.pub")
    .requiredOption("--out <prefix>", "path prefix of the two files, e.g. keys/driver")
    .addHelpText(
      "after",
      "\nGive <prefix>.key to drivers (--signing-key / MATRIX_SIGNING_KEY) and <prefix>.pub to workers\n" +
        '(--trusted-keys / MATRIX_TRUSTED_KEYS). See docs/cluster.md, "Trust".\n',
    );
export type KeygenFlags = Flags<typeof keygenDefinition>;

// ---- matrix sim -----------------------------------------------------------------------------------

const kebab = (name: string) => name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);

export const simDefinition = () => {
  const command = new Command("sim")
    .description("start the OpenAI-compatible inference simulator; prints its base URL when it listens")
    .addOption(portOption("--port <port>", "port to listen on (default: a free port)"))
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .addOption(
      new Option("--profile <name>", "hardware profile the knobs start from")
        .choices(Object.keys(SIMULATOR_PROFILES))
        .default(DEFAULT_PROFILE),
    )
    .option("--model-name <name>", "model listed by /v1/models (default: the profile's)")
    .option("--strict-model", "answer 404 model_not_found to requests naming another model");
  // Each knob's flag checks the range the simulator's configuration checks (profiles.ts).
  const knobOption = {
    positive: positiveNumberOption,
    "positive-integer": (flags: string, help: string) => countOption(flags, help),
    "non-negative": nonNegativeNumberOption,
    probability: probabilityOption,
    any: numberOption,
  } as const;
  for (const [knob, { help, range }] of Object.entries(SIMULATOR_NUMERIC_KNOBS)) {
    const value = range === "positive-integer" ? "<n>" : range === "probability" ? "<p>" : "<x>";
    command.addOption(
      knobOption[range](`--${kebab(knob)} ${value}`, help).helpGroup("Model knobs (override the profile):"),
    );
  }
  for (const kind of FAULT_KINDS)
    command.addOption(
      probabilityOption(`--fault-${kind} <rate>`, `probability (0..1) of a ${kind} fault`).helpGroup(
        "Fault injection:",
      ),
    );
  // The loops add flags the type system cannot follow; the action reads them by name.
  return command as unknown as Command<[], Record<string, string | number | boolean | undefined>>;
};

// ---- matrix worker --------------------------------------------------------------------------------

export const workerDefinition = () =>
  withSandboxOptions(
    withNatsOptions(
      new Command("worker")
        .description("serve the roles of every run registered on NATS (runs started later too) until SIGTERM")
        .option("--roles <roles>", "serve only these roles, comma-separated (default: every role)")
        .addOption(countOption("--concurrency <n>", "tasks per role handled at once by this worker (default 64)"))
        .option(
          "--llm <url>",
          "LLM for runs that leave it to workers (--llm workers); other runs carry their own (default: OPENAI_BASE_URL(S), else the endpoints registered on NATS, else a local simulator)",
        )
        .option("--model <name>", "default model for runs that leave the LLM to workers")
        .addOption(
          new Option(
            "--trusted-keys <files>",
            "serve only runs signed by one of these public keys, comma-separated (matrix keygen's .pub files)",
          ).env("MATRIX_TRUSTED_KEYS"),
        )
        .addOption(new Option("--id <name>", "worker id in heartbeats (default: host-pid)").env("MATRIX_WORKER_ID"))
        .addOption(
          countOption(
            "--offload-threshold <bytes>",
            "offload larger task states to the run's content store, for runs that do not say",
            0,
          ),
        )
        .addOption(portOption("--metrics-port <port>", "serve Prometheus metrics on GET /metrics (0: any free port)"))
        .option(
          "--metrics-host <host>",
          "interface of the metrics endpoint (0.0.0.0: reachable from others)",
          "127.0.0.1",
        ),
    ),
  ).addHelpText("after", environment(LLM_ENVIRONMENT));
export type WorkerFlags = Flags<typeof workerDefinition>;

// ---- matrix status --------------------------------------------------------------------------------

export const statusDefinition = () =>
  withNatsOptions(
    new Command("status")
      .description("show the workers, runs and queues of a Matrix cluster on NATS")
      .option("--json", "print the snapshot as JSON"),
  );
export type StatusFlags = Flags<typeof statusDefinition>;

// ---- matrix cluster up|down -----------------------------------------------------------------------

const clusterDir = () =>
  new Option("--dir <dir>", "where the cluster keeps cluster.json, logs and the NATS store").default(".matrix-cluster");

export const clusterUpDefinition = () =>
  new Command("up")
    .description("start nats-server -js, a simulator and N workers in the background; record their pids")
    .addOption(countOption("--workers <n>", "workers to start", 0).default(2))
    .addOption(clusterDir())
    .addOption(portOption("--port <port>", "NATS client port (default: a free port)"))
    .addOption(portOption("--sim-port <port>", "simulator port (default: a free port)"))
    .addOption(positiveNumberOption("--sim-speed <x>", "simulator speed factor").default(10))
    .option(
      "--monitoring",
      "give each worker a metrics port and start Prometheus scraping them (apt-get install prometheus)",
    )
    .addOption(portOption("--prometheus-port <port>", "Prometheus web port with --monitoring (default: a free port)"))
    .addOption(
      portOption(
        "--driver-metrics-port <port>",
        "with --monitoring, Prometheus also scrapes a driver here: matrix run ... --metrics-port <port> (default: a free port)",
      ),
    )
    .addHelpText(
      "after",
      environment({
        NATS_SERVER_BIN: "the nats-server binary (default: found on the PATH)",
        PROMETHEUS_BIN: "the prometheus binary for --monitoring (default: /usr/bin/prometheus)",
      }),
    );
export type ClusterUpFlags = Flags<typeof clusterUpDefinition>;

export const clusterDownDefinition = () =>
  new Command("down")
    .description("stop the processes recorded in <dir>/cluster.json (workers drain first), keep the data")
    .addOption(clusterDir());
export type ClusterDownFlags = Flags<typeof clusterDownDefinition>;

// ---- matrix deploy slurm|k8s ----------------------------------------------------------------------

function withDeployOptions<Args extends unknown[], Opts extends OptionValues, Globals extends OptionValues>(
  command: Command<Args, Opts, Globals>,
) {
  const d = DEPLOY_DEFAULTS;
  return command
    .option("--model <name>", "model the inference servers load", d.model)
    .addOption(
      new Option("--engine <engine>", "inference server").choices(["vllm", "sglang"] as const).default(d.engine),
    )
    .addOption(countOption("--servers <n>", "inference servers").default(d.servers))
    .addOption(countOption("--gpus-per-server <n>", "GPUs (tensor parallel size) per server").default(d.gpusPerServer))
    .addOption(countOption("--workers <n>", "workers").default(d.workers))
    .addOption(countOption("--concurrency <n>", "tasks per role per worker").default(d.concurrency))
    .addOption(countOption("--nats-replicas <n>", "NATS servers; JetStream replicas min(3, N)").default(d.natsReplicas))
    .addOption(
      new Option("--sandbox <runtime>", "runtime workers run model-written code in (code roles, code-verify)").choices([
        "bwrap",
        "apptainer",
      ] as const),
    )
    .option(
      "--sandbox-image <image>",
      "Apptainer image for --sandbox apptainer (.sif path on the nodes, or docker://...)",
    )
    .option("--out <file>", "write to this file instead of stdout");
}

export const deploySlurmDefinition = () =>
  withDeployOptions(new Command("slurm").description("generate a SLURM batch script for a Matrix cluster"))
    .option("--partition <partition>", "SLURM partition")
    .option("--account <account>", "SLURM account")
    .option("--time <limit>", "SLURM time limit", DEPLOY_DEFAULTS.time)
    .option("--store-dir <dir>", "JetStream store on the nodes", DEPLOY_DEFAULTS.storeDir)
    .option("--run <command>", 'run this pipeline once the cluster is up, e.g. "quickstart --rows 100"');
export type DeploySlurmFlags = Flags<typeof deploySlurmDefinition>;

export const deployK8sDefinition = () =>
  withDeployOptions(new Command("k8s").description("generate Kubernetes manifests for a Matrix cluster"))
    .option("--image <image>", "image with this repository at /app", DEPLOY_DEFAULTS.image)
    .option("--nats-image <image>", "NATS image (the 2.9 line)", DEPLOY_DEFAULTS.natsImage)
    .option("--engine-image <image>", "inference image (default: vllm/vllm-openai or lmsysorg/sglang)")
    .option("--namespace <namespace>", "Kubernetes namespace", DEPLOY_DEFAULTS.namespace);
export type DeployK8sFlags = Flags<typeof deployK8sDefinition>;

// ---- matrix endpoint register|list ----------------------------------------------------------------

export const endpointRegisterDefinition = () =>
  withNatsOptions(
    new Command("register")
      .description("announce an inference server in the endpoint registry on NATS")
      .requiredOption("--url <url>", "the server's OpenAI-compatible base URL, e.g. http://10.0.0.5:8000/v1")
      .option("--model <name>", "the model it serves")
      .addOption(new Option("--kind <kind>", "server kind").choices(["vllm", "sglang", "simulator", "other"] as const))
      .option("--wait", "wait until <url>/models answers before registering")
      .option("--keep", "stay running and refresh the entry every 20 s (entries expire after 60 s)"),
  );
export type EndpointRegisterFlags = Flags<typeof endpointRegisterDefinition>;

export const endpointListDefinition = () =>
  withNatsOptions(new Command("list").description("list the registered endpoints: url, model, kind"));
export type EndpointListFlags = Flags<typeof endpointListDefinition>;

// ---- matrix export --------------------------------------------------------------------------------

export const exportDefinition = () =>
  new Command("export")
    .description("write the pipeline a notebook builds to a script that `matrix run <script>` runs")
    .argument("<notebook>", "the .ipynb file")
    .option("--out <file>", "the script to write (default: <notebook>.pipeline.ts beside it)")
    .option("--name <variable>", "the variable holding the pipeline (default: the marked or last one)")
    .addHelpText(
      "after",
      "\nCells starting with '// matrix:export' build the pipeline; without one, the last cell calling\n" +
        "pipeline(...) or recipe(...) is used.\n",
    );
export type ExportFlags = Flags<typeof exportDefinition>;

// ---- matrix dedup ---------------------------------------------------------------------------------

export const dedupDefinition = () =>
  new Command("dedup")
    .description("drop exact and near-duplicate records of a run's output (or any JSONL file)")
    .argument("<input>", "a run's output directory (its output.jsonl) or a JSONL file")
    .option(
      "--field <path>",
      "the text to compare: last, turn:<role>, row.text, state.answer, history[-1].content",
      "last",
    )
    .addOption(
      new Option("--method <method>", "exact (normalised text) or minhash (near duplicates)")
        .choices(["exact", "minhash"] as const)
        .default("minhash" as const),
    )
    .addOption(
      fractionOption("--threshold <t>", "estimated Jaccard similarity (0..1] that counts as a near duplicate").default(
        0.8,
      ),
    )
    .option("--reference <path>", "drop records that duplicate one in this JSONL file or output directory")
    .option("--out <dir>", "where deduped.jsonl and duplicates.jsonl go (default: beside the input)")
    .option("--id-field <name>", "the field holding a record's id", "id")
    .addOption(countOption("--num-perm <n>", "MinHash permutations").default(128))
    .addOption(countOption("--bands <n>", "LSH bands (default: the best split for the threshold)"))
    .addOption(countOption("--shingle-size <n>", "words (or characters) per shingle").default(3))
    .addOption(
      new Option("--shingle-unit <unit>", "shingles of words or characters")
        .choices(["words", "chars"] as const)
        .default("words" as const),
    )
    .addOption(countOption("--seed <n>", "seed of the MinHash permutations", 0).default(1))
    .option("--json", "print the report as JSON");
export type DedupFlags = Flags<typeof dedupDefinition>;

// ---- matrix completion ----------------------------------------------------------------------------

export const completionDefinition = () =>
  new Command("completion")
    .description("print a shell completion script")
    .addArgument(new Argument("<shell>", "bash or zsh").choices(["bash", "zsh"] as const))
    .addHelpText(
      "after",
      "\nInstall:\n" +
        "  bash  matrix completion bash > ~/.local/share/bash-completion/completions/matrix\n" +
        '  zsh   matrix completion zsh > "${fpath[1]}/_matrix"   (then restart zsh)\n',
    );

// ---- matrix dlq list|show|retry -------------------------------------------------------------------

/** Where the dead letters are: an output directory, or a live run on NATS. */
function withDeadLetterSource<Args extends unknown[], Opts extends OptionValues, Globals extends OptionValues>(
  command: Command<Args, Opts, Globals>,
) {
  return withNatsOptions(
    command
      .option("--out <dir>", "the run's output directory (a finished run, or any run that wrote one)")
      .option("--run <id>", "a live run on NATS (with --nats): its driver answers"),
  );
}

export const dlqListDefinition = () =>
  withDeadLetterSource(
    new Command("list")
      .description("list a run's dead letters: id, role, error, retries")
      .option("--all", "include dead letters a later retry finished")
      .option("--json", "print them as JSON"),
  );
export type DlqListFlags = Flags<typeof dlqListDefinition>;

export const dlqShowDefinition = () =>
  withDeadLetterSource(
    new Command("show").description("print one dead letter (the whole task) as JSON").argument("<id>", "task id"),
  );
export type DlqShowFlags = Flags<typeof dlqShowDefinition>;

export const dlqRetryDefinition = () =>
  withDeadLetterSource(
    new Command("retry")
      .description("patch dead letters and run them again with their ids (output stays exactly-once)")
      .argument("[ids...]", "task ids (default: every dead letter)")
      .option("--patch <json>", 'a JSON merge patch applied to each task, e.g. \'{"state":{"x":4}}\'')
      .option("--patch-file <file>", "the merge patch, from a file")
      .addOption(
        new Option("--from <where>", "continue at the role that failed, or run again from the start")
          .choices(["failed-role", "start"] as const)
          .default("failed-role" as const),
      )
      .option("--pipeline <target>", "with --out: run them with this recipe or file (default: <out>/pipeline.json)")
      .option("--llm <url>", "with --out: OpenAI-compatible base URL (default: OPENAI_BASE_URL, else the simulator)")
      .option("--model <name>", "with --out: model for chat roles")
      .option("--quiet", "no summary on stdout"),
  ).addHelpText("after", environment(LLM_ENVIRONMENT));
export type DlqRetryFlags = Flags<typeof dlqRetryDefinition>;

// ---- matrix fork ----------------------------------------------------------------------------------

/** `--set role.field=value`: the value is JSON when it parses, a string otherwise. */
export const ROLE_SET_ENTRY = /^([A-Za-z][\w-]*)\.(\w+)=([^]*)$/;

export const forkDefinition = () =>
  new Command("fork")
    .description("re-run one finished task from turn k as a new, linked task, optionally with changed roles")
    .argument("<id>", "the finished task's id")
    .requiredOption("--out <dir>", "the output directory holding the task (forks go to <dir>/forks)")
    .addOption(countOption("--from-turn <k>", "reuse the original's first k turns (0: from the start)", 0))
    .addOption(
      shapedListOption(
        "--set <role.field=value...>",
        "change a role, e.g. student.temperature=1.2 or teacher.model=big",
        ROLE_SET_ENTRY,
        "role.field=value (e.g. student.temperature=1.2)",
      ),
    )
    .addOption(countOption("--seed <n>", "seed of the fork's new turns (default: the original's: a replay)", 0))
    .option("--pipeline <target>", "the recipe or file the task ran with (default: <out>/pipeline.json)")
    .option("--fork-out <dir>", "where the fork is written (default: <out>/forks)")
    .option("--llm <url>", "OpenAI-compatible base URL (default: OPENAI_BASE_URL, else the simulator)")
    .option("--model <name>", "model for chat roles")
    .addHelpText("after", environment(LLM_ENVIRONMENT));
export type ForkFlags = Flags<typeof forkDefinition>;

// ---- the tree -------------------------------------------------------------------------------------

/** What the actions share with main(): where to write, the command line, and the exit code. */
export interface CliContext {
  io: CliIo;
  /** The arguments main() was given, for hints such as "resume with: matrix run ...". */
  argv: readonly string[];
  exitCode: number;
}

function group(name: string, description: string, commands: CommandUnknownOpts[]): CommandUnknownOpts {
  const command = new Command(name).description(description);
  for (const child of commands) command.addCommand(child);
  return command;
}

export function matrixProgram(ctx: CliContext): CommandUnknownOpts {
  const { io } = ctx;
  // Each action stores its exit code for main(); its module is imported only when it runs.
  const exit =
    <Args extends unknown[]>(action: (...args: Args) => Promise<number>) =>
    async (...args: Args) => {
      ctx.exitCode = await action(...args);
    };
  const program = new Command("matrix")
    .description("Build, launch and watch multi-agent pipelines that generate synthetic data for LLMs.")
    .version(packageVersion(io.env.MATRIX_HOME) ?? "unknown", "-V, --version", "print the version")
    .addOption(
      new Option("--log-level <level>", "pino log level on stderr")
        .choices(["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const)
        .env("MATRIX_LOG_LEVEL"),
    )
    .hook("preAction", async (root) => {
      const level = (root.opts() as { logLevel?: string }).logLevel;
      if (level !== undefined) (await import("../logger.js")).configureLogging({ level: level as "warn" });
    })
    .addHelpText(
      "after",
      "\nRun 'matrix <command> --help' for a command's options." +
        environment({
          MATRIX_LOG_LEVEL: "pino log level on stderr (default warn)",
          MATRIX_DEBUG: "set to 1 to print the stack of an error that is not one of the SDK's",
        }),
    );
  const commands = [
    runDefinition().action(
      exit(async (target, flags) => (await import("./run-command.js")).command(target, flags, io, ctx.argv)),
    ),
    simDefinition().action(exit(async (flags) => (await import("./sim-command.js")).command(flags, io))),
    workerDefinition().action(exit(async (flags) => (await import("./worker-command.js")).command(flags, io))),
    statusDefinition().action(exit(async (flags) => (await import("./status-command.js")).command(flags, io))),
    attachDefinition().action(
      exit(async (runId, flags) => (await import("./attach-command.js")).command(runId, flags, io, ctx.argv)),
    ),
    keygenDefinition().action(exit(async (flags) => (await import("./keygen-command.js")).command(flags, io))),
    group("cluster", "start or stop a local NATS cluster with workers on this machine", [
      clusterUpDefinition().action(exit(async (flags) => (await import("./cluster-command.js")).up(flags, io))),
      clusterDownDefinition().action(exit(async (flags) => (await import("./cluster-command.js")).down(flags, io))),
    ]),
    group("deploy", "generate a SLURM script or Kubernetes manifests for a cluster", [
      deploySlurmDefinition().action(
        exit(async (flags) => (await import("./deploy-command.js")).command("slurm", flags, io)),
      ),
      deployK8sDefinition().action(
        exit(async (flags) => (await import("./deploy-command.js")).command("k8s", flags, io)),
      ),
    ]),
    group("endpoint", "register or list inference endpoints on NATS", [
      endpointRegisterDefinition().action(
        exit(async (flags) => (await import("./endpoint-command.js")).register(flags, io)),
      ),
      endpointListDefinition().action(exit(async (flags) => (await import("./endpoint-command.js")).list(flags, io))),
    ]),
    dedupDefinition().action(
      exit(async (input, flags) => (await import("./dedup-command.js")).command(input, flags, io)),
    ),
    exportDefinition().action(
      exit(async (notebook, flags) => (await import("./export-command.js")).command(notebook, flags, io)),
    ),
    group("dlq", "list, show and retry the dead letters of a run (an output directory or a live NATS run)", [
      dlqListDefinition().action(exit(async (flags) => (await import("./dlq-command.js")).list(flags, io))),
      dlqShowDefinition().action(exit(async (id, flags) => (await import("./dlq-command.js")).show(id, flags, io))),
      dlqRetryDefinition().action(exit(async (ids, flags) => (await import("./dlq-command.js")).retry(ids, flags, io))),
    ]),
    forkDefinition().action(exit(async (id, flags) => (await import("./fork-command.js")).command(id, flags, io))),
    completionDefinition().action(
      exit(async (shell) => (await import("./completion-command.js")).command(shell, program, io)),
    ),
  ];
  for (const command of commands) program.addCommand(command);
  return program;
}
