/**
 * Charts drawn on the server as small SVG: no script, a few hundred bytes each, readable on
 * a phone (the viewBox scales to the screen width; text stays at least 12px at 360px wide).
 * Colours are presentation attributes, so the page's strict CSP needs no inline style.
 */

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export interface Bar {
  label: string;
  value: number;
  /** Shown after the value, e.g. "%". */
  suffix?: string;
  colour?: string;
}

const INK = '#1f2933';
const BAR = '#2f6f4f';
const TRACK = '#e4ebe7';

/** About how many characters of 12px text fit across a chart `width` wide (SVG text does not wrap). */
export function labelRoom(width = 360): number {
  return Math.floor(width / 6.6);
}

/** `text` cut to `max` characters with "…" when longer. */
export function fitLabel(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(1, max - 1)).trimEnd()}…`;
}

/** Horizontal bars with the label above each bar: long Indonesian labels fit a narrow screen (cut with "…", whole in a tooltip). */
export function barChart(bars: Bar[], opts: { title: string; max?: number; width?: number }): string {
  const width = opts.width ?? 360;
  const rowH = 34;
  const height = Math.max(1, bars.length) * rowH + 6;
  const max = opts.max ?? Math.max(1, ...bars.map((b) => b.value));
  const inner = width - 50;
  const rows = bars.map((b, i) => {
    const y = i * rowH;
    const w = max > 0 ? Math.max(b.value > 0 ? 2 : 0, Math.round((b.value / max) * inner)) : 0;
    const shown = fitLabel(b.label, labelRoom(width));
    return `<text x="0" y="${y + 12}" font-size="12" fill="${INK}">${shown !== b.label ? `<title>${esc(b.label)}</title>` : ''}${esc(shown)}</text>`
      + `<rect x="0" y="${y + 16}" width="${inner}" height="12" fill="${TRACK}"/>`
      + `<rect x="0" y="${y + 16}" width="${w}" height="12" fill="${b.colour ?? BAR}"/>`
      + `<text x="${inner + 6}" y="${y + 27}" font-size="12" fill="${INK}">${b.value}${esc(b.suffix ?? '')}</text>`;
  });
  const empty = bars.length === 0 ? `<text x="0" y="16" font-size="12" fill="#667">-</text>` : '';
  return `<svg class="chart" role="img" aria-label="${esc(opts.title)}" viewBox="0 0 ${width} ${height}" width="100%" xmlns="http://www.w3.org/2000/svg"><title>${esc(opts.title)}</title>${rows.join('')}${empty}</svg>`;
}

/** Columns over time (e.g. reports per month), value above each column, label below. */
export function columnChart(cols: { label: string; value: number }[], opts: { title: string; width?: number }): string {
  const width = opts.width ?? 360;
  const height = 150;
  const base = height - 22;
  const max = Math.max(1, ...cols.map((c) => c.value));
  const step = cols.length > 0 ? width / cols.length : width;
  const barW = Math.max(4, Math.min(28, step - 6));
  const parts = cols.map((c, i) => {
    const h = Math.round((c.value / max) * (base - 20));
    const x = Math.round(i * step + (step - barW) / 2);
    const cx = Math.round(i * step + step / 2);
    return `<rect x="${x}" y="${base - h}" width="${barW}" height="${h}" fill="${BAR}"/>`
      + (c.value > 0 ? `<text x="${cx}" y="${base - h - 4}" font-size="11" text-anchor="middle" fill="${INK}">${c.value}</text>` : '')
      + `<text x="${cx}" y="${height - 6}" font-size="11" text-anchor="middle" fill="${INK}">${esc(c.label)}</text>`;
  });
  return `<svg class="chart" role="img" aria-label="${esc(opts.title)}" viewBox="0 0 ${width} ${height}" width="100%" xmlns="http://www.w3.org/2000/svg"><title>${esc(opts.title)}</title>`
    + `<line x1="0" y1="${base}" x2="${width}" y2="${base}" stroke="#99a"/>${parts.join('')}</svg>`;
}
