/**
 * The scheduling modes a local run may use (bus/scheduling.ts implements them): a plain list, so the
 * CLI can offer them as choices without loading any runtime code.
 *
 * Where you are: `schema/`.
 */
export const SCHEDULING_MODES = ["row", "batch", "central"] as const;
export type SchedulingMode = (typeof SCHEDULING_MODES)[number];
