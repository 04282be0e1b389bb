/**
 * A zod schema's JSON Schema form, as structured output and tool arguments send it to the model.
 *
 * Where you are: `schema/`. The pipeline builder (`output`) and `tool()` (arguments) both convert here,
 * so a definition holds the same JSON Schema dialect everywhere; the `$schema` marker is dropped because
 * OpenAI-compatible servers reject or ignore it.
 */
import { z } from "zod";
import { PipelineDefinitionError } from "../errors.js";

/** `schema` as JSON Schema; a zod type with no JSON form (a transform, a function) is a PipelineDefinitionError at `where`. */
export function toJsonSchema(schema: z.ZodType, where: string): Record<string, unknown> {
  try {
    const { $schema: _ignored, ...json } = z.toJSONSchema(schema) as Record<string, unknown>;
    return json;
  } catch (error) {
    throw new PipelineDefinitionError(where, `the zod schema has no JSON Schema form: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
