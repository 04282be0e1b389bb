import { Sandbox } from "./sdk/sandbox/sandbox.js";
import { spawnSync } from "node:child_process";
const s = new Sandbox({ concurrency: 1 });
await s.run({ language: "bash", code: "true" });
for (const lang of ["bash", "python", "node"] as const) {
  const t = performance.now(); const n = 10;
  for (let i = 0; i < n; i++) await s.run({ language: lang, code: lang === "bash" ? "true" : lang === "python" ? "pass" : "" });
  const sandboxed = (performance.now() - t) / n;
  const bin = lang === "bash" ? "/bin/bash" : lang === "python" ? "/usr/bin/python3" : "/usr/bin/node";
  const t2 = performance.now(); for (let i = 0; i < n; i++) spawnSync(bin, lang === "bash" ? ["-c", "true"] : lang === "python" ? ["-c", "pass"] : ["-e", ""]); 
  console.log(lang, "sandboxed", sandboxed.toFixed(0), "ms; direct", ((performance.now() - t2) / n).toFixed(0), "ms");
}
