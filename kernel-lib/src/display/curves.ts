/**
 * Loss and metric curves as MIME bundles: several metrics of several runs overlaid, log axes.
 * Live training plots resend this bundle into one output (see `liveCurves`).
 */
import { MIME, MODEL_VERSION, type CurvesModel, type MimeBundle, type SeriesModel } from './mime.js';
import { PALETTE, axes, esc, fmt, polylinePath, svgDocument } from './svg.js';

/** One curve. */
export interface Series {
  /** Metric name, e.g. "loss". */
  name: string;
  /** Run it belongs to; curves of one run share a colour. Default: the metric name. */
  run?: string;
  /** Steps (or epochs); default 0, 1, 2, … */
  x?: ArrayLike<number>;
  /** Values, one per step. */
  y: ArrayLike<number>;
}

/** How to draw curves. */
export interface CurvesOptions {
  title?: string;
  /** Default 'step'. */
  xLabel?: string;
  /** Default 'value'. */
  yLabel?: string;
  logX?: boolean;
  logY?: boolean;
  /** Longer curves are thinned to about this many points (first and last kept). Default 2000. */
  maxPoints?: number;
}

const DASHES = ['', '6 3', '2 2', '8 3 2 3'];

function thin(n: number, maxPoints: number): number[] {
  const stride = Math.max(1, Math.ceil(n / maxPoints));
  const idx: number[] = [];
  for (let i = 0; i < n; i += stride) idx.push(i);
  if (n > 0 && idx[idx.length - 1] !== n - 1) idx.push(n - 1);
  return idx;
}

/**
 * The `application/vnd.cglab.curves+json` model of `series`: a list of curves, or a record of
 * metric name → values.
 * @throws Error when a curve's x and y lengths differ.
 */
export function curvesModel(series: Series[] | Record<string, ArrayLike<number>>, options: CurvesOptions = {}): CurvesModel {
  const list: Series[] = Array.isArray(series) ? series : Object.entries(series).map(([name, y]) => ({ name, y }));
  const maxPoints = options.maxPoints ?? 2000;
  const out: SeriesModel[] = list.map((s) => {
    if (s.x && s.x.length !== s.y.length) throw new Error(`curves: '${s.name}' has ${s.x.length} x values but ${s.y.length} y values`);
    const idx = thin(s.y.length, maxPoints);
    return {
      name: s.name,
      run: s.run ?? s.name,
      x: idx.map((i) => (s.x ? s.x[i] : i)),
      y: idx.map((i) => (Number.isFinite(s.y[i]) ? s.y[i] : null)),
    };
  });
  return {
    version: MODEL_VERSION,
    title: options.title ?? 'Training curves',
    xLabel: options.xLabel ?? 'step',
    yLabel: options.yLabel ?? 'value',
    logX: Boolean(options.logX),
    logY: Boolean(options.logY),
    series: out,
  };
}

/** Colour of each run and dash of each metric, shared by the SVG fallback and the extension. */
export function curveStyles(m: CurvesModel): { color: string; dash: string }[] {
  const runs = [...new Set(m.series.map((s) => s.run))];
  const names = [...new Set(m.series.map((s) => s.name))];
  return m.series.map((s) => ({ color: PALETTE[runs.indexOf(s.run) % PALETTE.length], dash: DASHES[names.indexOf(s.name) % DASHES.length] }));
}

/** Static SVG of a curves model. */
export function curvesSvg(m: CurvesModel): string {
  const W = 620;
  const H = 320;
  const box = { x: 70, y: 30, w: 400, h: H - 80 };
  const usable = (v: number | null, log: boolean): v is number => v !== null && (!log || v > 0);
  const xs = m.series.flatMap((s) => s.x.filter((v) => usable(v, m.logX)));
  const ys = m.series.flatMap((s) => s.y.filter((v): v is number => usable(v, m.logY)));
  const span = (v: number[], log: boolean): [number, number] => {
    if (v.length === 0) return log ? [1, 10] : [0, 1];
    let lo = Math.min(...v);
    let hi = Math.max(...v);
    if (hi === lo) [lo, hi] = log ? [lo / 2, hi * 2] : [lo - 0.5, hi + 0.5];
    return [lo, hi];
  };
  const ax = axes(box, { x: span(xs, m.logX), y: span(ys, m.logY), xLabel: m.xLabel, yLabel: m.yLabel, title: m.title, logX: m.logX, logY: m.logY });
  const styles = curveStyles(m);
  const parts = [ax.svg];
  m.series.forEach((s, k) => {
    const pts = s.x.map((x, i): [number, number] | null => {
      const y = s.y[i];
      return usable(x, m.logX) && usable(y, m.logY) ? [ax.sx(x), ax.sy(y)] : null;
    });
    const dash = styles[k].dash ? ` stroke-dasharray="${styles[k].dash}"` : '';
    parts.push(`<path d="${polylinePath(pts)}" fill="none" stroke="${styles[k].color}" stroke-width="1.6"${dash}/>`);
    const ly = box.y + 10 + 16 * k;
    parts.push(`<line x1="${box.x + box.w + 14}" y1="${ly}" x2="${box.x + box.w + 38}" y2="${ly}" stroke="${styles[k].color}" stroke-width="2"${dash}/>`);
    const label = s.run === s.name ? s.name : `${s.run}: ${s.name}`;
    parts.push(`<text x="${box.x + box.w + 42}" y="${ly}" dy="0.35em">${esc(label)}</text>`);
  });
  return svgDocument(W, H, parts.join(''), m.title);
}

/** Plain-text summary: the last value of each curve. */
export function curvesText(m: CurvesModel): string {
  const lines = [m.title];
  for (const s of m.series) {
    const k = s.y.length - 1;
    const last = k >= 0 ? `${m.xLabel} ${fmt(s.x[k])}: ${s.y[k] === null ? 'NaN' : fmt(s.y[k] as number)}` : 'no points yet';
    lines.push(`  ${s.run === s.name ? s.name : `${s.run}: ${s.name}`} (${s.y.length} points) ${last}`);
  }
  return lines.join('\n');
}

/** Curves as a MIME bundle: the interactive model plus SVG and text fallbacks. */
export function curves(series: Series[] | Record<string, ArrayLike<number>>, options: CurvesOptions = {}): MimeBundle {
  const m = curvesModel(series, options);
  return { data: { [MIME.curves]: m, 'image/svg+xml': curvesSvg(m), 'text/plain': curvesText(m) }, metadata: {} };
}
