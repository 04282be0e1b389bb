/**
 * The public surface of `sandbox/`: run untrusted code with bubblewrap (here) or Apptainer (clusters).
 *
 * Where you are: `sandbox/`. sdk/index.ts re-exports this file.
 */
export {
  Sandbox,
  createSandbox,
  defaultSandbox,
  sandboxOptionsFromEnv,
  hostLayout,
  type SandboxOptions,
  type SandboxBackend,
} from "./sandbox.js";
export {
  SandboxRequestSchema,
  SANDBOX_LANGUAGES,
  type SandboxRequest,
  type SandboxResult,
  type SandboxRunner,
  type SandboxLanguage,
} from "./sandbox-request.js";
export { apptainerArgs, bubblewrapArgs, limitedCommand, SANDBOX_ENV } from "./sandbox-command.js";
export { sandboxTool, type SandboxToolOptions } from "./sandbox-tool.js";
