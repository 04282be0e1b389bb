/**
 * Renders vega-lite specs in Node: SVG through vega's headless view (no canvas needed), PNG through
 * resvg, and the MIME bundle that shows a plot everywhere.
 *
 * Where you are: `notebook/`. vega and vega-lite are ESM with top-level await, so they are loaded
 * with `esmImport` (see esm-import.cjs), once, on the first plot.
 */
import { esmImport } from "./esm-import.js";
import type { MimeBundle } from "./mime-bundle.js";

/** A vega-lite spec (kept loose: the SDK builds them, users may pass their own). */
export type VegaLiteSpec = Record<string, unknown>;

/** The part of a vega View the SDK uses (headless: renderer "none"). */
export interface VegaView {
  toSVG(): Promise<string>;
  data(name: string, values: unknown[]): VegaView;
  finalize(): void;
}

interface VegaModule {
  parse(spec: unknown): unknown;
  View: new (runtime: unknown, options: { renderer: string }) => VegaView;
}
interface VegaLiteModule {
  compile(spec: unknown): { spec: unknown };
}

let modules: Promise<{ vega: VegaModule; vegaLite: VegaLiteModule }> | undefined;

function load(): Promise<{ vega: VegaModule; vegaLite: VegaLiteModule }> {
  modules ??= Promise.all([esmImport<VegaModule>("vega"), esmImport<VegaLiteModule>("vega-lite")]).then(
    ([vega, vegaLite]) => ({ vega, vegaLite }),
  );
  return modules;
}

/** A headless view of `spec`; keep it to re-render new data cheaply (`view.data(name, values)`). */
export async function compileVegaLite(spec: VegaLiteSpec): Promise<VegaView> {
  const { vega, vegaLite } = await load();
  return new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: "none" });
}

export async function renderSvg(spec: VegaLiteSpec): Promise<string> {
  const view = await compileVegaLite(spec);
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export async function svgToPng(svg: string): Promise<Buffer> {
  const { Resvg } = await import("@resvg/resvg-js");
  return Buffer.from(new Resvg(svg, { background: "white", fitTo: { mode: "zoom", value: 2 } }).render().asPng());
}

export function svgDataUri(svg: string): string {
  return `data:image/svg+xml;base64,${Buffer.from(svg).toString("base64")}`;
}

/**
 * The vega-lite spec for interactive front ends (JupyterLab renders it), plus an HTML `<img>` of the
 * server-side SVG that nbconvert keeps (it strips `image/svg+xml`), plus a PNG and plain text.
 */
export async function plotBundle(spec: VegaLiteSpec, title = String(spec.title ?? "plot")): Promise<MimeBundle> {
  const svg = await renderSvg(spec);
  const png = await svgToPng(svg);
  return {
    "application/vnd.vegalite.v5+json": spec,
    "text/html": `<img alt="${title.replace(/"/g, "&quot;")}" src="${svgDataUri(svg)}"/>`,
    "image/png": png.toString("base64"),
    "text/plain": `[plot: ${title}]`,
  };
}
