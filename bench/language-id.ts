/**
 * Benchmark: language identification libraries on the project's labelled passages
 * (datasets/language-id/passages.jsonl): accuracy overall and by passage size, and documents/s at
 * 1 KB each. This is how `sdk/quality/language-id.ts` chose its library; prints figures, asserts
 * nothing (the machine is shared and noisy: compare ratios within one run).
 *
 * Run: npx tsx bench/language-id.ts
 * The SDK's library (tinyld) is always measured. The others are measured when installed:
 *   npm install --no-save franc franc-min eld cld3-asm languagedetect lande
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { cpus } from "node:os";
import { join } from "node:path";
import { detectLanguage } from "../sdk/quality/language-id.js";

interface Passage {
  id: string;
  lang: string;
  size: "short" | "medium" | "long";
  text: string;
}

const passages: Passage[] = readFileSync(join(process.cwd(), "datasets/language-id/passages.jsonl"), "utf8")
  .trim()
  .split("\n")
  .map((line) => JSON.parse(line) as Passage);

/** ISO 639-3 → 639-1 for the passages' languages and the usual confusions (franc and lande answer in 639-3). */
const ISO3: Record<string, string> = {
  eng: "en", deu: "de", fra: "fr", spa: "es", por: "pt", ita: "it", nld: "nl", swe: "sv", dan: "da", pol: "pl",
  ces: "cs", rus: "ru", ukr: "uk", tur: "tr", fin: "fi", hun: "hu", ind: "id", vie: "vi", cmn: "zh", zho: "zh",
  jpn: "ja", kor: "ko", arb: "ar", ara: "ar", hin: "hi", ell: "el", nob: "no", nno: "nn", slk: "sk", bel: "be",
  bul: "bg", zlm: "ms", msa: "ms", glg: "gl", cat: "ca", srp: "sr", hrv: "hr", ron: "ro", slv: "sl",
}; // prettier-ignore
const iso1 = (code: string | undefined): string => (code === undefined ? "und" : (ISO3[code] ?? code));

type Detector = (text: string) => string;
const require = createRequire(join(process.cwd(), "package.json"));
// A variable specifier keeps tsc from resolving packages that are only installed for this comparison.
const load = async (name: string): Promise<any> => import(name);

async function candidates(): Promise<Array<[string, Detector]>> {
  const found: Array<[string, Detector]> = [["tinyld (the SDK's)", (text) => detectLanguage(text).language]];
  const tryAdd = async (name: string, make: () => Promise<Detector>): Promise<void> => {
    try {
      found.push([name, await make()]);
    } catch {
      process.stderr.write(`(${name} not installed; skipped)\n`);
    }
  };
  await tryAdd("franc", async () => {
    const { franc } = await load("franc");
    return (text) => iso1(franc(text));
  });
  await tryAdd("franc-min", async () => {
    const { franc } = await load("franc-min");
    return (text) => iso1(franc(text));
  });
  await tryAdd("eld (large)", async () => {
    const { eld } = await load("eld/large");
    return (text) => eld.detect(text).language || "und";
  });
  await tryAdd("cld3-asm", async () => {
    const identifier = (await require("cld3-asm").loadModule()).create(0, 2000);
    return (text) => identifier.findLanguage(text).language;
  });
  await tryAdd("languagedetect", async () => {
    const LanguageDetect = require("languagedetect");
    const detector = new LanguageDetect();
    detector.setLanguageType("iso2");
    return (text) => detector.detect(text, 1)[0]?.[0] ?? "und";
  });
  await tryAdd("lande", async () => {
    const lande = (await load("lande")).default;
    return (text) => iso1(lande(text)[0]?.[0]);
  });
  return found;
}

function measure(detect: Detector): { accuracy: number; bySize: Record<string, number>; docsPerSecond: number } {
  const bySize: Record<string, { n: number; ok: number }> = {};
  let ok = 0;
  for (const passage of passages) {
    const hit = detect(passage.text) === passage.lang;
    ok += Number(hit);
    const size = (bySize[passage.size] ??= { n: 0, ok: 0 });
    size.n++;
    size.ok += Number(hit);
  }
  // 1 KB documents made by repeating the medium and long passages.
  const documents = passages
    .filter((p) => p.size !== "short")
    .map((p) => p.text.repeat(Math.ceil(1000 / p.text.length)).slice(0, 1000));
  for (let i = 0; i < 50; i++) detect(documents[i % documents.length]!);
  const start = performance.now();
  let n = 0;
  while (performance.now() - start < 1500) detect(documents[n++ % documents.length]!);
  return {
    accuracy: ok / passages.length,
    bySize: Object.fromEntries(Object.entries(bySize).map(([size, s]) => [size, s.ok / s.n])),
    docsPerSecond: n / ((performance.now() - start) / 1000),
  };
}

const pct = (value: number | undefined): string => `${((value ?? 0) * 100).toFixed(1)}%`.padStart(7);
process.stdout.write(
  `Language identification on ${passages.length} passages in ${new Set(passages.map((p) => p.lang)).size} languages` +
    ` (${cpus().length} cores: ${cpus()[0]?.model ?? "?"})\n\n` +
    `library              overall   short  medium    long   docs/s (1 KB)\n`,
);
for (const [name, detect] of await candidates()) {
  const result = measure(detect);
  process.stdout.write(
    `${name.padEnd(19)} ${pct(result.accuracy)} ${pct(result.bySize.short)} ${pct(result.bySize.medium)} ` +
      `${pct(result.bySize.long)}   ${result.docsPerSecond.toFixed(0).padStart(8)}\n`,
  );
}
