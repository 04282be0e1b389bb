/**
 * Formats a zod issue path the way error messages name fields: `roles.teacher.prompt`,
 * `endpoints[0].maxConcurrent`.
 *
 * Where you are: `schema/`. Every boundary that reports a zod failure uses this, so paths read the same.
 */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  return path
    .map((part, index) => (typeof part === "number" ? `[${part}]` : index === 0 ? String(part) : `.${String(part)}`))
    .join("");
}
