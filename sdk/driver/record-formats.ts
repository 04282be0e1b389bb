/**
 * Record formats of public datasets, mapped to the rows recipes read: MMLU-Pro (multiple-choice
 * questions) and DCLM (web pages, as DCLM-baseline ships them). A record that does not fit its format
 * is a `SourceRowError` naming the file, the line (or row) and the field: it is dead-lettered and
 * the run goes on.
 *
 * Where you are: `driver/`, applied by `openSource` to a file source with `format`. Each format is a
 * zod schema (the record as published) and a mapping to the row; add a format by adding both here.
 */
import { z } from "zod";
import { SourceRowError } from "../errors.js";
import { formatIssuePath } from "../schema/issue-path.js";
import type { RecordFormat } from "../schema/record-format.js";
import type { Row } from "./source.js";

export { RECORD_FORMATS, type RecordFormat } from "../schema/record-format.js";

/** Where a record is, for its errors. */
export interface RecordPlace {
  file?: string;
  line?: number;
  row?: number;
}

const LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/**
 * An MMLU-Pro record (TIGER-Lab/MMLU-Pro's test/validation splits): `options` is a list of up to ten
 * option texts, `answer` the letter of the key and `answer_index` its position.
 */
export const MmluProRecordSchema = z
  .object({
    question_id: z.union([z.number().int(), z.string().min(1)]),
    question: z.string().trim().min(1, "the question is empty"),
    options: z.array(z.string()).min(2, "a question needs at least two options").max(LETTERS.length),
    answer: z
      .string()
      .regex(/^[A-Z]$/, "the answer must be one capital letter")
      .optional(),
    answer_index: z.number().int().nonnegative().optional(),
    cot_content: z.string().optional(),
    category: z.string().optional(),
    src: z.string().optional(),
  })
  .passthrough();

/**
 * The row a MMLU-Pro record becomes: the record's fields, with `options` as `choices` keyed A, B, …
 * (as the original Coral loader does), `answer` always a letter, and `id` the question id.
 */
export interface MmluProRow extends Row {
  id: string;
  question_id: number | string;
  question: string;
  choices: Record<string, string>;
  answer: string;
  answer_index: number;
  category?: string;
  src?: string;
  cot_content?: string;
}

function mapMmluPro(record: z.infer<typeof MmluProRecordSchema>, fail: (message: string) => never): MmluProRow {
  const { options, answer, answer_index: answerIndex, ...rest } = record;
  const letters = LETTERS.slice(0, options.length);
  const range = `${options.length} options, A–${letters.at(-1)}`;
  if (answer === undefined && answerIndex === undefined) fail("the record has neither answer nor answer_index");
  if (answer !== undefined && !letters.includes(answer)) fail(`answer '${answer}' names no option (${range})`);
  if (answerIndex !== undefined && answerIndex >= options.length)
    fail(`answer_index ${answerIndex} is past the last option (${range})`);
  if (answer !== undefined && answerIndex !== undefined && letters[answerIndex] !== answer)
    fail(`answer '${answer}' and answer_index ${answerIndex} (${letters[answerIndex]}) disagree`);
  const index = answerIndex ?? letters.indexOf(answer!);
  return {
    ...rest,
    id: String(record.question_id),
    choices: Object.fromEntries(options.map((text, position) => [letters[position]!, text])),
    answer: letters[index]!,
    answer_index: index,
  };
}

/**
 * A DCLM web record (DCLM-baseline's JSONL shards): the page `text`, its `url`, and WARC `metadata`
 * (`WARC-Record-ID`, `WARC-Date`, ...), plus scores such as `language_id_whole_page_fasttext`.
 */
export const DclmRecordSchema = z
  .object({
    text: z.string().refine((text) => text.trim().length > 0, "the page text is empty"),
    url: z.string().optional(),
    metadata: z
      .object({ "WARC-Record-ID": z.string().min(1).optional() })
      .passthrough()
      .optional(),
  })
  .passthrough();

/** The row a DCLM record becomes: the whole record, with `id` its WARC-Record-ID (when it has one). */
export interface DclmRow extends Row {
  id?: string;
  text: string;
  url?: string;
}

function mapDclm(record: z.infer<typeof DclmRecordSchema>): DclmRow {
  const id = record.metadata?.["WARC-Record-ID"] ?? (typeof record.id === "string" ? record.id : undefined);
  return { ...record, ...(id !== undefined ? { id } : {}) };
}

/** The mapping of `format`: record → row, or a SourceRowError saying what is wrong and where. */
export function recordMapper(format: RecordFormat): (record: Row, place: RecordPlace) => Row {
  const schema = format === "mmlu-pro" ? MmluProRecordSchema : DclmRecordSchema;
  return (record, place) => {
    const fail = (message: string): never => {
      throw new SourceRowError(`${format} record: ${message}`, place);
    };
    const result = schema.safeParse(record);
    if (!result.success) {
      const issue = result.error.issues[0]!;
      const field = formatIssuePath(issue.path);
      fail(field ? `${field}: ${issue.message}` : issue.message);
    }
    return format === "mmlu-pro"
      ? mapMmluPro(result.data as z.infer<typeof MmluProRecordSchema>, fail)
      : mapDclm(result.data as z.infer<typeof DclmRecordSchema>);
  };
}
