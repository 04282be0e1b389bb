/**
 * Prompt templates: what a filled placeholder becomes, and the error for one that names nothing.
 *
 * Where you are: `test/agent/`, mirroring `sdk/agent/template.ts`.
 */
import { describe, expect, it } from "vitest";
import { AgentError } from "../../sdk/errors.js";
import { compileTemplate, fillTemplate } from "../../sdk/agent/template.js";

const where = { role: "asker", taskId: "t1" };
const scope = {
  row: { question: "Why?", n: 3, tags: ["a", "b"], nested: { deep: { value: "x" } }, empty: "", nothing: null },
  state: { answer: "$& and $1" },
  params: { style: "terse" },
};

describe("templates", () => {
  it("fills strings as they are and anything else as JSON, left to right", () => {
    const template = "Q: {{row.question}} n={{ row.n }} tags={{row.tags}}{{row.nested.deep.value}} [{{row.empty}}]";
    expect(fillTemplate(template, scope, where)).toBe('Q: Why? n=3 tags=["a","b"]x []');
    expect(compileTemplate(template)(scope, where)).toBe('Q: Why? n=3 tags=["a","b"]x []');
    expect(compileTemplate("{{row.nothing}}")(scope, where)).toBe("null");
  });

  it("inserts values literally (no $ patterns) and leaves text without placeholders alone", () => {
    expect(compileTemplate("{{state.answer}}!")(scope, where)).toBe("$& and $1!");
    expect(compileTemplate("no placeholders, {{ not a path }}")(scope, where)).toBe(
      "no placeholders, {{ not a path }}",
    );
    expect(compileTemplate("")(scope, where)).toBe("");
  });

  it("fails naming the placeholder, role and task when a path names nothing", () => {
    const fill = compileTemplate("Be {{params.style}} about {{row.nested.missing.value}}.");
    const error = (() => {
      try {
        fill(scope, where);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(AgentError);
    expect((error as Error).message).toContain("{{row.nested.missing.value}} names nothing");
    expect(() => compileTemplate("{{row.question.length}}")(scope, where)).toThrow("{{row.question.length}}");
    expect(() => fillTemplate("{{row.nothing.x}}", scope, where)).toThrow("names nothing");
  });

  it("fills a compiled template many times with different scopes", () => {
    const fill = compileTemplate("{{row.n}}/{{params.style}}");
    expect(fill(scope, where)).toBe("3/terse");
    expect(fill({ row: { n: 4 }, params: { style: "long" } }, where)).toBe("4/long");
  });
});
