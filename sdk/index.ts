/**
 * Matrix for TypeScript: the only public surface. Notebooks and scripts import from here.
 *
 * Where you are: the SDK's front door. Exports follow the data flow: schemas and errors, the pipeline
 * builder, sources, the run handle, buses, the LLM layer, then the leaves (metrics, notebook, CLI).
 */
export * from "./errors.js";
export {
  TaskSchema,
  TaskStatus,
  SINK,
  HopTraceSchema,
  type Task,
  type RoleUsage,
  type HopTrace,
} from "./schema/task.js";
export { TurnSchema, ToolCallSchema, type Turn, type ToolCall, type Usage } from "./schema/turn.js";
export type {
  RunEvent,
  RunSummary,
  HopEndEvent,
  TaskEndEvent,
  RunStartEvent,
  RunEndEvent,
  SourceErrorEvent,
} from "./schema/event.js";
export { QualityCheckSchema, type QualityCheck } from "./schema/quality-definition.js";
export {
  PipelineDefinitionSchema,
  type PipelineDefinition,
  type FlowDefinition,
  type RoleDefinition,
  type SourceDefinition,
  type PipelineOptions,
  type MetricDefinition,
  type ToolDefinitionJson,
} from "./schema/pipeline-definition.js";

export {
  pipeline,
  Pipeline,
  type ChatRoleOptions,
  type CodeFn,
  type PredicateFn,
  type PromptFn,
  type StopFn,
  type RouteFn,
  type OutputSchema,
  type MetricSpec,
  type QualityCheckInput,
  type DedupRoleOptions,
} from "./pipeline/pipeline.js";
export type { MetricContext, MetricsReport } from "./driver/summary-metrics.js";
export { parseDefinition } from "./pipeline/definition.js";
export { runPipeline, pipelineFile, type RunOptions } from "./pipeline/run-pipeline.js";
export { retryDeadLetters, storedPipeline, type RetryDeadLettersOptions } from "./pipeline/retry.js";
export { answerRunControl } from "./pipeline/run-control.js";
export { forkTask, forkOf, withRoleChanges, type ForkOptions } from "./pipeline/fork.js";
export type { AgentContext } from "./agent/agent-context.js";
export { tool, type ToolSpec, type ToolEnvironment, type ToolRunFn } from "./tools/tool.js";
export {
  toolLoopState,
  resultText,
  ENV_STATE,
  TOOL_LOOP_STATE,
  DEFAULT_MAX_TOOL_STEPS,
  type ToolLoopState,
} from "./tools/tool-loop.js";
export type { TaskUpdate } from "./agent/task-update.js";
export * from "./quality/index.js";
export * from "./sandbox/index.js";

export { openSource, fileSource, type RuntimeSource, type Row, type SourceItem } from "./driver/source.js";
export {
  RECORD_FORMATS,
  MmluProRecordSchema,
  DclmRecordSchema,
  recordMapper,
  type RecordFormat,
  type MmluProRow,
  type DclmRow,
} from "./driver/record-formats.js";
export { Run, type RunProgress } from "./driver/run.js";
export { BudgetTracker, type BudgetOptions, type BudgetReport, type Limits, type ModelPrice } from "./driver/budget.js";
export { JsonlSink, readIds, sinkFiles } from "./sink/jsonl-sink.js";
export {
  readDeadLetters,
  findDeadLetter,
  prepareRetry,
  mergePatch,
  summarizeDeadLetter,
  type DeadLetter,
  type DeadLetterSummary,
  type RetryOptions,
  type TaskPatch,
} from "./sink/dead-letters.js";

export type { Bus, Delivery, BusConsumer } from "./bus/bus.js";
export type { SharedStore, StoreEntry } from "./bus/shared-store.js";
export { MemorySharedStore } from "./bus/memory-shared-store.js";
export { LocalBus, createLocalBus } from "./bus/local-bus.js";
export { SCHEDULING_MODES, scheduledBus, type SchedulingMode, type SchedulingOptions } from "./bus/scheduling.js";
export { BatchSchedulingBus, type BatchSchedulingOptions } from "./bus/batch-scheduling-bus.js";
export { CentralSchedulingBus, type CentralSchedulingOptions } from "./bus/central-scheduling-bus.js";

export * from "./llm/index.js";
export { startSimulator } from "./llm/simulator/index.js";
export {
  rootLogger,
  createLogger,
  configureLogging,
  isLogLevel,
  LOG_LEVELS,
  type LogLevel,
  type LoggingOptions,
} from "./logger.js";
export { registerSecret } from "./secrets.js";
export { recipe, recipeNames } from "./recipes/index.js";
export type { RecipeOptions } from "./recipes/recipe-options.js";
export type { CoralOptions } from "./recipes/coral/coral.js";
export type { CoralState } from "./recipes/coral/coral-matcher.js";
export type { CoralSummary } from "./recipes/coral/coral-metrics.js";
export type { NaturalReasoningOptions } from "./recipes/natural-reasoning/natural-reasoning.js";
export type { NaturalReasoningSummary } from "./recipes/natural-reasoning/nr-metrics.js";
export { tau, type TauRecipeOptions } from "./recipes/tau/tau.js";
export { loadTauDomain, tauDomain, type TauDomain, type TauToolDefinition } from "./recipes/tau/domain.js";
export type { TauEnvironment, TauCallResult, TauMessage } from "./recipes/tau/environment.js";
export { evaluateTau, type RewardInfo, type TerminationReason } from "./recipes/tau/evaluate.js";
export { tauSummary, type TauSummary } from "./recipes/tau/tau-summary.js";
export { jsonlToParquet, readParquet } from "./sink/parquet-export.js";

// Leaves. Notebook displays live in ./notebook/index.js (imported by notebooks next to this file), so
// plain scripts never load tslab-aware code.
export * from "./metrics/index.js";
export { exportScript, exportPipeline } from "./pipeline/export-script.js";
export * from "./bus/nats/index.js";
export { startWorker, Worker, type WorkerOptions } from "./worker/worker.js";
