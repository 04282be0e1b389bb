/** `matrix dedup` and the sandbox flags of `matrix run`, `matrix worker` and `matrix deploy`. */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { k8sManifests } from "../../sdk/cli/deploy-k8s.js";
import { deployOptions } from "../../sdk/cli/deploy-options.js";
import { slurmScript } from "../../sdk/cli/deploy-slurm.js";
import { main } from "../../sdk/cli/main.js";
import { sandboxFlags } from "../../sdk/cli/sandbox-flags.js";
import { capturedIo } from "../helpers/captured-cli.js";
import { readJsonl } from "../helpers/jsonl.js";
import { tempDir } from "../helpers/temp-dir.js";
import { corpus } from "../quality/dedup-corpus.js";

const captured = () => capturedIo();

const docs = corpus({ originals: 20, exact: 5, near: 5, distinct: 5 });
const record = (d: (typeof docs)[number]) => ({ id: d.id, row: { text: d.text }, history: [], status: "done" });

describe("matrix dedup", () => {
  it("writes deduped.jsonl and duplicates.jsonl for a run's output directory and reports on stdout", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "output.jsonl"), docs.map((d) => JSON.stringify(record(d))).join("\n") + "\n");
    const io = captured();
    const code = await main(["dedup", dir, "--field", "row.text", "--threshold", "0.8"], io);
    expect(code, io.err).toBe(0);
    const kept = readJsonl<{ id: string }>(join(dir, "deduped.jsonl"));
    const duplicates = readJsonl<{ id: string; duplicateOf: string }>(join(dir, "duplicates.jsonl"));
    expect(kept.map((r) => r.id)).toEqual(
      docs.filter((d) => d.kind === "original" || d.kind === "distinct").map((d) => d.id),
    );
    expect(duplicates.map((d) => [d.id, d.duplicateOf])).toEqual(
      docs.filter((d) => d.kind === "exact" || d.kind === "near").map((d) => [d.id, d.of]),
    );
    expect(io.err).toMatch(/matrix dedup: 35 records, kept 25, dropped 10/);
    expect(JSON.parse(io.out)).toMatchObject({ records: 35, kept: 25, duplicates: 10 });
  });

  it("drops what a reference dataset has, in exact mode, into another directory", async () => {
    const dir = tempDir();
    const out = join(dir, "clean");
    writeFileSync(
      join(dir, "new.jsonl"),
      docs
        .slice(20)
        .map((d) => JSON.stringify(record(d)))
        .join("\n") + "\n",
    );
    writeFileSync(
      join(dir, "old.jsonl"),
      docs
        .slice(0, 20)
        .map((d) => JSON.stringify(record(d)))
        .join("\n") + "\n",
    );
    const io = captured();
    const args = ["dedup", join(dir, "new.jsonl"), "--field", "row.text", "--method", "exact"];
    expect(await main([...args, "--reference", join(dir, "old.jsonl"), "--out", out, "--json"], io)).toBe(0);
    const duplicates = readJsonl<{ id: string; reference?: boolean }>(join(out, "duplicates.jsonl"));
    expect(duplicates.map((d) => d.id)).toEqual(docs.filter((d) => d.kind === "exact").map((d) => d.id));
    expect(duplicates.every((d) => d.reference === true)).toBe(true);
    expect(JSON.parse(io.out)).toMatchObject({ reference: 20, settings: { method: "exact" } });
  });

  it("names a bad threshold, a mistyped field and a missing input", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "output.jsonl"), JSON.stringify(record(docs[0]!)) + "\n");
    let io = captured();
    // A value outside the flag's range is a usage error (exit 2), refused before any file is read.
    expect(await main(["dedup", dir, "--threshold", "1.5"], io)).toBe(2);
    expect(io.err).toMatch(/--threshold: expected a number above 0, at most 1, got '1.5'/);
    io = captured();
    expect(await main(["dedup", dir, "--field", "row.txt"], io)).toBe(1);
    expect(io.err).toMatch(/QualityFieldError: Field 'row.txt': none of the 1 records has it/);
    io = captured();
    expect(await main(["dedup", join(dir, "nope")], io)).toBe(1);
    expect(io.err).toMatch(/does not exist/);
    expect(readFileSync(join(dir, "output.jsonl"), "utf8")).toContain(docs[0]!.id);
  });
});

describe("sandbox flags", () => {
  it("become sandbox options only when given", () => {
    expect(sandboxFlags({})).toBeUndefined();
    expect(() => sandboxFlags({ sandbox: "apptainer" })).toThrow(/ConfigError|--sandbox apptainer needs an image/);
    expect(sandboxFlags({ sandbox: "apptainer", sandboxImage: "x.sif", sandboxConcurrency: 4 })).toEqual({
      backend: "apptainer",
      image: "x.sif",
      concurrency: 4,
    });
  });

  it("reach the workers of generated SLURM scripts and Kubernetes manifests", () => {
    const options = deployOptions({ sandbox: "apptainer", "sandbox-image": "/shared/sandbox.sif" });
    expect(slurmScript(options)).toMatch(
      /matrix\.js" worker .* --sandbox apptainer --sandbox-image \/shared\/sandbox\.sif/,
    );
    const worker = k8sManifests(deployOptions({ sandbox: "bwrap" })).find(
      (m: any) => m.metadata.name === "matrix-worker",
    )!;
    const container = (worker as any).spec.template.spec.containers[0];
    expect(container.command).toEqual(expect.arrayContaining(["--sandbox", "bwrap"]));
    expect(container.securityContext.seccompProfile.type).toBe("Unconfined");
    const plain = k8sManifests(deployOptions({})).find((m: any) => m.metadata.name === "matrix-worker")!;
    expect((plain as any).spec.template.spec.containers[0].securityContext).toBeUndefined();
    expect(() => deployOptions({ sandbox: "apptainer" })).toThrow(/--sandbox-image/);
  });
});
