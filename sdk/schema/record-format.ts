/**
 * The record formats of public datasets the file sources can map (driver/record-formats.ts holds the
 * mappings): plain data, so the CLI's flag table can list them without loading zod.
 *
 * Where you are: `schema/`.
 */
export const RECORD_FORMATS = ["mmlu-pro", "dclm"] as const;
export type RecordFormat = (typeof RECORD_FORMATS)[number];
