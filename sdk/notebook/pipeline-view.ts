/**
 * `show(pipeline)`: draws the pipeline's roles and the flow between them as an SVG diagram.
 *
 * Where you are: `notebook/`. `flowEdges` derives the edges from the definition (each flow kind has
 * its own shape); `pipelineSvg` lays the nodes out on one line in flow order, with forward jumps
 * arcing above and loops (backward edges) arcing below, which keeps any flow readable without a
 * graph-layout dependency.
 */
import { effectiveFlow } from "../pipeline/definition.js";
import type { Pipeline } from "../pipeline/pipeline.js";
import type { PipelineDefinition } from "../schema/pipeline-definition.js";
import { escapeHtml } from "./html.js";
import { publish, type MimeBundle } from "./mime-bundle.js";

export interface FlowEdge {
  from: string;
  to: string;
  label?: string;
}

export const SOURCE_NODE = "source";
export const SINK_NODE = "sink";
const ROUTER_NODE = "route()";

function shorten(text: string, max = 28): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function chain(nodes: string[], edges: FlowEdge[], label?: string): void {
  for (let index = 1; index < nodes.length; index++) {
    edges.push({ from: nodes[index - 1]!, to: nodes[index]!, ...(index === 1 && label ? { label } : {}) });
  }
}

/** The flow's edges, from `source` to `sink`. */
export function flowEdges(definition: PipelineDefinition): FlowEdge[] {
  const flow = effectiveFlow(definition);
  const edges: FlowEdge[] = [];
  switch (flow.kind) {
    case "sequence":
      chain([SOURCE_NODE, ...flow.roles, SINK_NODE], edges);
      break;
    case "conversation": {
      edges.push({ from: SOURCE_NODE, to: flow.roles[0]! });
      const after = flow.after ?? [];
      const ends: string[] = [];
      flow.roles.forEach((speaker, index) => {
        chain([speaker, ...after], edges);
        const end = after.length ? after[after.length - 1]! : speaker;
        const next = flow.roles[(index + 1) % flow.roles.length]!;
        edges.push({ from: end, to: next, label: "next turn" });
        if (!ends.includes(end)) ends.push(end);
      });
      const finish = [...(flow.then ?? []), SINK_NODE];
      for (const end of ends)
        edges.push({ from: end, to: finish[0]!, label: flow.stop ? "stop / max turns" : `${flow.maxTurns} turns` });
      chain(finish, edges);
      break;
    }
    case "graph":
      edges.push({ from: SOURCE_NODE, to: flow.entry });
      for (const edge of flow.edges) {
        const to = edge.to === "_end" || edge.to === "_sink" ? SINK_NODE : edge.to;
        edges.push({ from: edge.from, to, ...(edge.when ? { label: shorten(edge.when.fn) } : {}) });
      }
      break;
    case "router":
      edges.push({ from: SOURCE_NODE, to: flow.entry });
      for (const role of Object.keys(definition.roles)) {
        edges.push({ from: role, to: ROUTER_NODE });
        edges.push({ from: ROUTER_NODE, to: role });
      }
      edges.push({ from: ROUTER_NODE, to: SINK_NODE, label: "null" });
      break;
  }
  // Dedupe (a conversation's `after` chain is shared by every speaker).
  const seen = new Set<string>();
  return edges.filter((edge) => {
    const key = `${edge.from}->${edge.to}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Nodes in flow order: breadth-first from the source, unreachable roles next, the sink last. */
function nodeOrder(definition: PipelineDefinition, edges: FlowEdge[]): string[] {
  const order = [SOURCE_NODE];
  for (let index = 0; index < order.length; index++) {
    for (const edge of edges) {
      if (edge.from === order[index] && edge.to !== SINK_NODE && !order.includes(edge.to)) order.push(edge.to);
    }
  }
  for (const role of Object.keys(definition.roles)) if (!order.includes(role)) order.push(role);
  return [...order, SINK_NODE];
}

const STEP = 150;
const NODE_WIDTH = 110;
const NODE_HEIGHT = 40;

export function pipelineSvg(definition: PipelineDefinition): string {
  const edges = flowEdges(definition);
  const nodes = nodeOrder(definition, edges);
  const x = (name: string) => 20 + nodes.indexOf(name) * STEP;
  const arcs = edges.map((edge) => Math.abs(nodes.indexOf(edge.to) - nodes.indexOf(edge.from)));
  const rise = Math.max(1, ...arcs) * 22 + 30;
  const midY = rise + 10;
  const width = 40 + (nodes.length - 1) * STEP + NODE_WIDTH;
  const height = midY + NODE_HEIGHT + rise;
  const parts: string[] = [];
  edges.forEach((edge, index) => {
    const from = nodes.indexOf(edge.from);
    const to = nodes.indexOf(edge.to);
    const forward = to > from;
    const y = forward ? midY : midY + NODE_HEIGHT;
    const x1 = x(edge.from) + NODE_WIDTH / 2;
    const x2 = x(edge.to) + NODE_WIDTH / 2;
    let path: string;
    let labelX = (x1 + x2) / 2;
    let labelY: number;
    if (forward && to === from + 1) {
      path = `M${x(edge.from) + NODE_WIDTH},${midY + NODE_HEIGHT / 2} L${x(edge.to)},${midY + NODE_HEIGHT / 2}`;
      labelX = (x(edge.from) + NODE_WIDTH + x(edge.to)) / 2;
      labelY = midY + NODE_HEIGHT / 2 - 4;
    } else {
      const bend = arcs[index]! * 22 + 10;
      const controlY = forward ? y - bend : y + bend;
      path = `M${x1 + (forward ? 10 : -10)},${y} C${x1},${controlY} ${x2},${controlY} ${x2 + (forward ? -10 : 10)},${y}`;
      labelY = forward ? y - bend * 0.75 - 2 : y + bend * 0.75 + 10;
    }
    parts.push(`<path d="${path}" fill="none" stroke="#777" stroke-width="1.3" marker-end="url(#matrix-arrow)"/>`);
    if (edge.label)
      parts.push(
        `<text x="${labelX}" y="${labelY}" font-size="10" text-anchor="middle" fill="#555">${escapeHtml(edge.label)}</text>`,
      );
  });
  for (const name of nodes) {
    const role = definition.roles[name];
    const special = name === SOURCE_NODE || name === SINK_NODE || name === ROUTER_NODE;
    const fill = special
      ? "#eeeeee"
      : role?.kind === "chat"
        ? "#e8f0fe"
        : role?.kind === "filter"
          ? "#fef7e0"
          : "#e6f4ea";
    const kind = special ? "" : (role?.kind ?? "");
    parts.push(
      `<g class="matrix-node"><rect x="${x(name)}" y="${midY}" width="${NODE_WIDTH}" height="${NODE_HEIGHT}" rx="8" fill="${fill}" stroke="#555"/>` +
        `<text x="${x(name) + NODE_WIDTH / 2}" y="${midY + (kind ? 17 : 24)}" font-size="13" text-anchor="middle" font-weight="bold">${escapeHtml(shorten(name, 14))}</text>` +
        (kind
          ? `<text x="${x(name) + NODE_WIDTH / 2}" y="${midY + 32}" font-size="10" text-anchor="middle" fill="#555">${kind}</text>`
          : "") +
        `</g>`,
    );
  }
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">` +
    `<defs><marker id="matrix-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#777"/></marker></defs>` +
    `<text x="10" y="16" font-size="13" fill="#333">pipeline ${escapeHtml(definition.name)} · ${effectiveFlow(definition).kind} flow</text>` +
    parts.join("") +
    `</svg>`
  );
}

export function pipelineBundle(definition: PipelineDefinition): MimeBundle {
  const svg = pipelineSvg(definition);
  const text = flowEdges(definition)
    .map((edge) => `${edge.from} -> ${edge.to}${edge.label ? ` [${edge.label}]` : ""}`)
    .join("\n");
  return { "text/html": svg, "image/svg+xml": svg, "text/plain": `pipeline ${definition.name}\n${text}` };
}

/** Draws `pipeline` in the notebook. Returns nothing, so a cell ending in it prints no value. */
export function show(pipeline: Pipeline): void {
  publish(pipelineBundle(pipeline.toJSON()));
}
