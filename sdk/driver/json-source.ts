/**
 * JSON-array sources: a file holding `[{...}, {...}]`, the format tau2-bench (tasks.json) and many
 * exported datasets use. The file is parsed whole; each element must be an object.
 *
 * Where you are: `driver/`, beside the JSONL and CSV readers in source.ts. A non-object element is an
 * error item naming the file and the element's index (the driver dead-letters it; the run goes on).
 */
import { readFile } from "node:fs/promises";
import { SourceRowError } from "../errors.js";
import type { Row, SourceItem } from "./source.js";

export async function* jsonArrayRows(file: string): AsyncGenerator<SourceItem> {
  let text = await readFile(file, "utf8");
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    yield { kind: "error", error: new SourceRowError(`not valid JSON (${(error as Error).message})`, { file }) };
    return;
  }
  if (!Array.isArray(value)) {
    yield {
      kind: "error",
      error: new SourceRowError(`a JSON source holds an array of rows, found ${typeof value}`, { file }),
    };
    return;
  }
  let index = 0;
  for (const [position, element] of value.entries()) {
    if (typeof element !== "object" || element === null || Array.isArray(element)) {
      yield {
        kind: "error",
        error: new SourceRowError(`element ${position} is not an object`, { file, rowId: String(position) }),
        raw: JSON.stringify(element),
      };
      continue;
    }
    yield { kind: "row", row: element as Row, index: index++, file };
  }
}
