/**
 * The few SVG pieces the static fallbacks need (axes with ticks, colour scales), written here so
 * fallbacks are drawn in Node without a browser or a plotting library.
 */

/** Text made safe for SVG element content and attribute values. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A number short enough for a tick label or coordinate attribute. */
export function fmt(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(1).replace('e+', 'e');
  return String(Number(v.toPrecision(4)));
}

/** A coordinate for an attribute: two decimals keep the files small and are finer than a pixel. */
export const px = (v: number): string => String(Math.round(v * 100) / 100);

/** About `count` round tick values (1, 2 or 5 × 10^k apart) covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(min / step - 1e-9) * step; v <= max + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

/**
 * Ticks of a log axis over [min, max] (both > 0): 1, 2 and 5 × 10^k when that gives at most
 * eight, else powers of ten (thinned to at most eight); niceTicks when fewer than two would fit.
 */
export function logTicks(min: number, max: number): number[] {
  const lo = Math.floor(Math.log10(min));
  const hi = Math.ceil(Math.log10(max));
  const within = (v: number) => v >= min * (1 - 1e-9) && v <= max * (1 + 1e-9);
  const fine: number[] = [];
  for (let k = lo; k <= hi; k++) for (const m of [1, 2, 5]) if (within(m * 10 ** k)) fine.push(Number((m * 10 ** k).toPrecision(1)));
  if (fine.length >= 2 && fine.length <= 8) return fine;
  const powers: number[] = [];
  for (let k = lo; k <= hi; k++) if (within(10 ** k)) powers.push(10 ** k);
  if (powers.length < 2) return niceTicks(min, max, 3);
  const stride = Math.ceil(powers.length / 8);
  return powers.filter((_, i) => i % stride === 0);
}

type Rgb = [number, number, number];

function lerpStops(stops: Rgb[], t: number): string {
  const u = Math.min(1, Math.max(0, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(u));
  const f = u - i;
  const c = stops[i].map((a, k) => Math.round(a + (stops[i + 1][k] - a) * f));
  return `#${c.map((v) => v.toString(16).padStart(2, '0')).join('')}`;
}

// Dark (low free energy, the populated basins) to light (barriers), readable in grey-scale too.
const SEQUENTIAL: Rgb[] = [[23, 28, 92], [40, 96, 160], [52, 160, 150], [150, 205, 90], [250, 235, 120]];
const DIVERGING: Rgb[] = [[40, 80, 170], [160, 190, 225], [248, 248, 248], [230, 160, 140], [180, 40, 40]];

/** Colour of `t` in 0..1 on the sequential scale the FES fallback uses. */
export function sequentialColor(t: number): string {
  return lerpStops(SEQUENTIAL, t);
}

/** Colour of `t` in −1..1 on the diverging scale (white at 0) difference maps use. */
export function divergingColor(t: number): string {
  return lerpStops(DIVERGING, (t + 1) / 2);
}

/** Colours of runs and structure layers, distinct for the first ten. */
export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

/** A rectangle in SVG user units. */
export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Axis ranges and labels of one panel. */
export interface AxesSpec {
  x: [number, number];
  y: [number, number];
  xLabel: string;
  yLabel: string;
  title?: string;
  logX?: boolean;
  logY?: boolean;
}

/** Data-to-pixel maps of one panel and the SVG of its frame, ticks and labels. */
export interface Axes {
  sx: (v: number) => number;
  sy: (v: number) => number;
  svg: string;
}

function scale(range: [number, number], from: number, to: number, log: boolean): (v: number) => number {
  const t = log ? Math.log10 : (v: number) => v;
  const a = t(range[0]);
  const b = t(range[1]);
  return (v) => from + ((t(v) - a) / (b - a || 1)) * (to - from);
}

/** Frame, ticks, tick labels, axis labels and title of a panel occupying `box`. */
export function axes(box: Box, spec: AxesSpec): Axes {
  const sx = scale(spec.x, box.x, box.x + box.w, Boolean(spec.logX));
  const sy = scale(spec.y, box.y + box.h, box.y, Boolean(spec.logY));
  const xt = spec.logX ? logTicks(...spec.x) : niceTicks(...spec.x);
  const yt = spec.logY ? logTicks(...spec.y) : niceTicks(...spec.y);
  const parts = [`<rect x="${px(box.x)}" y="${px(box.y)}" width="${px(box.w)}" height="${px(box.h)}" fill="none" stroke="#444"/>`];
  for (const v of xt) {
    const X = px(sx(v));
    parts.push(`<line x1="${X}" y1="${px(box.y + box.h)}" x2="${X}" y2="${px(box.y + box.h + 4)}" stroke="#444"/>`);
    parts.push(`<text x="${X}" y="${px(box.y + box.h + 16)}" text-anchor="middle">${esc(fmt(v))}</text>`);
  }
  for (const v of yt) {
    const Y = px(sy(v));
    parts.push(`<line x1="${px(box.x - 4)}" y1="${Y}" x2="${px(box.x)}" y2="${Y}" stroke="#444"/>`);
    parts.push(`<text x="${px(box.x - 6)}" y="${Y}" dy="0.35em" text-anchor="end">${esc(fmt(v))}</text>`);
  }
  parts.push(`<text x="${px(box.x + box.w / 2)}" y="${px(box.y + box.h + 34)}" text-anchor="middle">${esc(spec.xLabel)}</text>`);
  const ly = box.y + box.h / 2;
  parts.push(`<text x="${px(box.x - 46)}" y="${px(ly)}" text-anchor="middle" transform="rotate(-90 ${px(box.x - 46)} ${px(ly)})">${esc(spec.yLabel)}</text>`);
  if (spec.title) parts.push(`<text x="${px(box.x + box.w / 2)}" y="${px(box.y - 8)}" text-anchor="middle" font-weight="bold">${esc(spec.title)}</text>`);
  return { sx, sy, svg: parts.join('') };
}

/** A complete SVG document of `width` × `height` around `body`. */
export function svgDocument(width: number, height: number, body: string, title: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
    `font-family="sans-serif" font-size="11"><title>${esc(title)}</title><rect width="100%" height="100%" fill="#fff"/>${body}</svg>`
  );
}

/** SVG path data of a polyline through the points, broken where a point is missing. */
export function polylinePath(points: ([number, number] | null)[]): string {
  let d = '';
  let pen = false;
  for (const p of points) {
    if (!p) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : 'M'}${px(p[0])} ${px(p[1])}`;
    pen = true;
  }
  return d;
}
