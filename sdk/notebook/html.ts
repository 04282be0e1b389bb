/**
 * HTML helpers shared by the notebook views: escaping, number formatting and the small inline style
 * every view uses (inline, because notebook front ends and nbconvert drop external stylesheets).
 *
 * Where you are: `notebook/`.
 */

export function escapeHtml(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

export function formatNumber(value: number, digits = 1): string {
  if (!Number.isFinite(value)) return "–";
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString("en-US");
  return Number.isInteger(value) ? String(value) : value.toFixed(digits);
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "–";
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

export const TABLE_STYLE = "border-collapse:collapse;font:12px/1.4 system-ui,sans-serif";
export const CELL_STYLE = "border:1px solid #ddd;padding:2px 6px;text-align:left;vertical-align:top";
