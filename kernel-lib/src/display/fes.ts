/**
 * Free-energy surfaces as MIME bundles: a 1-D profile or a 2-D map, in kT or kJ/mol, optionally
 * with a reference beside it or subtracted from it, basins marked.
 */
import type { Fes1d, Fes2d, Grid1d } from '../analysis/fes.js';
import { kT } from '../units.js';
import { MIME, MODEL_VERSION, type BasinModel, type EnergyUnit, type FesModel, type FesProfileModel, type FesSurfaceModel, type MimeBundle } from './mime.js';
import { axes, divergingColor, esc, fmt, polylinePath, px, sequentialColor, svgDocument } from './svg.js';

/** A named point to mark; x (and y on 2-D surfaces) in the units of the coordinates. */
export interface BasinMark {
  name: string;
  x: number;
  y?: number;
}

/** How to draw a surface. */
export interface FesOptions {
  /** Energy unit of the drawing. Default 'kT' (at the surface's temperature). */
  unit?: EnergyUnit;
  /** A surface on the same grid to compare with (e.g. the all-atom reference). */
  reference?: Fes1d | Fes2d;
  /** With a reference: two panels ('side-by-side', default) or one map of F − F_ref ('difference'). */
  compare?: 'side-by-side' | 'difference';
  title?: string;
  /** Name of the surface itself. Default 'CG model' with a reference, else 'sampled'. */
  label?: string;
  /** Name of the reference. Default 'reference'. */
  referenceLabel?: string;
  xLabel?: string;
  yLabel?: string;
  /**
   * Basins to mark. Default 'auto': up to four of the deepest local minima of the surface, named
   * A, B, C, D from the lowest; [] marks none.
   */
  basins?: BasinMark[] | 'auto';
  /** Top of the energy axis / colour scale in `unit`. Default: the highest sampled value. */
  maxF?: number;
}

const is2d = (s: Fes1d | Fes2d): s is Fes2d => 'gridX' in s;

const centers = (g: Grid1d) => Array.from({ length: g.bins }, (_, i) => g.min + ((i + 0.5) * (g.max - g.min)) / g.bins);

const finiteOrNull = (v: number) => (Number.isFinite(v) ? v : null);

function sameGrid(a: Grid1d, b: Grid1d): boolean {
  return a.min === b.min && a.max === b.max && a.bins === b.bins;
}

function toPanel(s: Fes1d | Fes2d, label: string, factor: number): FesProfileModel | FesSurfaceModel {
  if (!is2d(s)) return { dim: 1, label, x: Array.from(s.centers), F: Array.from(s.F, (f) => finiteOrNull(f * factor)) };
  const nx = s.gridX.bins;
  const ny = s.gridY.bins;
  // Fes2d is row-major with x outer; plotting wants rows of constant y.
  const F = Array.from({ length: ny }, (_, j) => Array.from({ length: nx }, (_, i) => finiteOrNull(s.F[i * ny + j] * factor)));
  return { dim: 2, label, x: centers(s.gridX), y: centers(s.gridY), F };
}

function difference(a: FesProfileModel | FesSurfaceModel, b: FesProfileModel | FesSurfaceModel, label: string): FesProfileModel | FesSurfaceModel {
  const sub = (u: number | null, v: number | null) => (u === null || v === null ? null : u - v);
  if (a.dim === 1 && b.dim === 1) return { dim: 1, label, x: a.x, F: a.F.map((u, i) => sub(u, b.F[i])) };
  if (a.dim === 2 && b.dim === 2) return { dim: 2, label, x: a.x, y: a.y, F: a.F.map((row, j) => row.map((u, i) => sub(u, b.F[j][i]))) };
  throw new Error('fes: a 1-D profile cannot be compared with a 2-D surface');
}

/** Up to `max` deepest local minima of a panel, named A, B, … from the lowest. */
export function findBasins(panel: FesProfileModel | FesSurfaceModel, max = 4): BasinModel[] {
  const found: { x: number; y?: number; F: number }[] = [];
  if (panel.dim === 1) {
    // A minimum must be the lowest within ±2 bins, which ignores one-bin sampling noise.
    const F = panel.F;
    F.forEach((f, i) => {
      if (f === null) return;
      for (let k = Math.max(0, i - 2); k <= Math.min(F.length - 1, i + 2); k++) {
        const g = F[k];
        if (k !== i && g !== null && (g < f || (g === f && k < i))) return;
      }
      found.push({ x: panel.x[i], F: f });
    });
  } else {
    const { F } = panel;
    const r = Math.max(1, Math.round(Math.min(panel.x.length, panel.y.length) / 8));
    F.forEach((row, j) =>
      row.forEach((f, i) => {
        if (f === null) return;
        for (let jj = Math.max(0, j - r); jj <= Math.min(F.length - 1, j + r); jj++) {
          for (let ii = Math.max(0, i - r); ii <= Math.min(row.length - 1, i + r); ii++) {
            const g = F[jj][ii];
            if ((jj !== j || ii !== i) && g !== null && (g < f || (g === f && jj * row.length + ii < j * row.length + i))) return;
          }
        }
        found.push({ x: panel.x[i], y: panel.y[j], F: f });
      }),
    );
  }
  found.sort((a, b) => a.F - b.F);
  return found.slice(0, max).map((b, k) => ({ name: String.fromCharCode(65 + k), ...b }));
}

function valueAt(panel: FesProfileModel | FesSurfaceModel, x: number, y?: number): number | undefined {
  const nearest = (c: number[], v: number) => c.reduce((best, ci, i) => (Math.abs(ci - v) < Math.abs(c[best] - v) ? i : best), 0);
  const f = panel.dim === 1 ? panel.F[nearest(panel.x, x)] : panel.F[nearest(panel.y, y ?? 0)][nearest(panel.x, x)];
  return f ?? undefined;
}

/**
 * The model of the `application/vnd.cglab.fes+json` type for `surface` (F in kJ/mol as the
 * analysis functions return it), converted to `options.unit`.
 * @throws Error when a reference is on another grid or of another dimension.
 */
export function fesModel(surface: Fes1d | Fes2d, options: FesOptions = {}): FesModel {
  const unit = options.unit ?? 'kT';
  if (unit !== 'kT' && unit !== 'kJ/mol') throw new Error(`fes: unit must be 'kT' or 'kJ/mol', got '${unit}'`);
  const factor = unit === 'kT' ? 1 / kT(surface.temperature) : 1;
  const ref = options.reference;
  if (ref) {
    const ok = is2d(surface) && is2d(ref) ? sameGrid(surface.gridX, ref.gridX) && sameGrid(surface.gridY, ref.gridY) : !is2d(surface) && !is2d(ref) && sameGrid(surface.grid, ref.grid);
    if (!ok) throw new Error('fes: the reference must be a surface of the same dimension on the same grid; histogram both with the same Grid1d');
  }
  const label = options.label ?? (ref ? 'CG model' : 'sampled');
  const main = toPanel(surface, label, factor);
  let panels = [main];
  let mode: FesModel['mode'] = 'single';
  if (ref) {
    const refPanel = toPanel(ref, options.referenceLabel ?? 'reference', unit === 'kT' ? 1 / kT(ref.temperature) : 1);
    mode = options.compare ?? 'side-by-side';
    if (mode !== 'side-by-side' && mode !== 'difference') throw new Error(`fes: compare must be 'side-by-side' or 'difference', got '${mode}'`);
    panels = mode === 'difference' ? [difference(main, refPanel, `${main.label} − ${refPanel.label}`)] : [main, refPanel];
  }
  const marks = options.basins ?? 'auto';
  const basins =
    marks === 'auto' ? (mode === 'difference' ? [] : findBasins(main)) : marks.map((b) => ({ ...b, F: mode === 'difference' ? undefined : valueAt(main, b.x, b.y) }));
  let maxF = options.maxF ?? 0;
  if (options.maxF === undefined) {
    for (const p of panels) for (const f of p.dim === 1 ? p.F : p.F.flat()) if (f !== null) maxF = Math.max(maxF, Math.abs(f));
  }
  return {
    version: MODEL_VERSION,
    title: options.title ?? (ref ? `Free energy: ${label} vs ${options.referenceLabel ?? 'reference'}` : 'Free energy'),
    unit,
    temperature: surface.temperature,
    xLabel: options.xLabel ?? 'x',
    ...(main.dim === 2 ? { yLabel: options.yLabel ?? 'y' } : {}),
    mode,
    panels,
    basins,
    maxF: maxF > 0 ? maxF : 1,
  };
}

function range(v: number[]): [number, number] {
  const half = v.length > 1 ? (v[1] - v[0]) / 2 : 0.5;
  return [v[0] - half, v[v.length - 1] + half];
}

/** Static SVG of a FES model: what a notebook shows where the extension is not installed. */
export function fesSvg(m: FesModel): string {
  const W = 380;
  const H = 300;
  const box = (k: number) => ({ x: 70 + k * W, y: 30, w: W - 110, h: H - 80 });
  const diff = m.mode === 'difference';
  const parts: string[] = [];
  m.panels.forEach((p, k) => {
    const b = box(k);
    if (p.dim === 1) {
      const yr: [number, number] = diff ? [-m.maxF, m.maxF] : [0, m.maxF * 1.05];
      const ax = axes(b, { x: range(p.x), y: yr, xLabel: m.xLabel, yLabel: `${diff ? 'ΔF' : 'F'} (${m.unit})`, title: p.label });
      const d = polylinePath(p.F.map((f, i) => (f === null ? null : [ax.sx(p.x[i]), ax.sy(Math.min(f, yr[1]))])));
      parts.push(ax.svg, `<path d="${d}" fill="none" stroke="#1f77b4" stroke-width="2"/>`);
      for (const s of m.basins) {
        if (s.F === undefined) continue;
        parts.push(`<circle cx="${px(ax.sx(s.x))}" cy="${px(ax.sy(s.F))}" r="3.5" fill="#d62728"/>`);
        parts.push(`<text x="${px(ax.sx(s.x))}" y="${px(ax.sy(s.F) - 7)}" text-anchor="middle" fill="#d62728">${esc(s.name)}</text>`);
      }
    } else {
      const ax = axes(b, { x: range(p.x), y: range(p.y), xLabel: m.xLabel, yLabel: m.yLabel ?? 'y', title: p.label });
      const dx = b.w / p.x.length;
      const dy = b.h / p.y.length;
      p.F.forEach((row, j) =>
        row.forEach((f, i) => {
          const fill = f === null ? '#e6e6e6' : diff ? divergingColor(f / m.maxF) : sequentialColor(f / m.maxF);
          // Cells overlap by a fraction of a pixel so no hairline gaps show between them.
          parts.push(`<rect x="${px(b.x + i * dx)}" y="${px(b.y + b.h - (j + 1) * dy)}" width="${px(dx + 0.3)}" height="${px(dy + 0.3)}" fill="${fill}"/>`);
        }),
      );
      parts.push(ax.svg);
      for (const s of m.basins) {
        const X = px(ax.sx(s.x));
        const Y = px(ax.sy(s.y ?? 0));
        parts.push(`<circle cx="${X}" cy="${Y}" r="4" fill="none" stroke="#fff" stroke-width="2"/>`);
        parts.push(`<text x="${X}" y="${Y}" dx="6" dy="-6" fill="#fff" font-weight="bold">${esc(s.name)}</text>`);
      }
    }
  });
  // One colour bar (or energy note) for all panels: they share the scale on purpose.
  const last = box(m.panels.length - 1);
  if (m.panels[0].dim === 2) {
    const cx = last.x + last.w + 12;
    for (let k = 0; k < 40; k++) {
      const t = diff ? 1 - (2 * k) / 39 : 1 - k / 39;
      parts.push(`<rect x="${cx}" y="${px(last.y + (k * last.h) / 40)}" width="12" height="${px(last.h / 40 + 0.3)}" fill="${diff ? divergingColor(t) : sequentialColor(t)}"/>`);
    }
    parts.push(`<text x="${cx + 16}" y="${last.y + 8}">${esc(fmt(m.maxF))}</text>`);
    parts.push(`<text x="${cx + 16}" y="${last.y + last.h}">${esc(fmt(diff ? -m.maxF : 0))}</text>`);
    parts.push(`<text x="${cx}" y="${last.y + last.h + 16}">${esc(m.unit)}</text>`);
  }
  return svgDocument(W * m.panels.length, H, parts.join(''), m.title);
}

/** Plain-text summary of a FES model. */
export function fesText(m: FesModel): string {
  const lines = [`${m.title} (${m.unit} at ${fmt(m.temperature)} K, ${m.mode})`];
  for (const p of m.panels) {
    const values = (p.dim === 1 ? p.F : p.F.flat()).filter((f): f is number => f !== null);
    const shape = p.dim === 1 ? `${p.x.length} bins along ${m.xLabel}` : `${p.x.length}×${p.y.length} bins over ${m.xLabel}, ${m.yLabel}`;
    const lo = values.length ? Math.min(...values) : NaN;
    const hi = values.length ? Math.max(...values) : NaN;
    lines.push(`  ${p.label}: ${shape}, ${values.length} sampled, F from ${fmt(lo)} to ${fmt(hi)} ${m.unit}`);
  }
  for (const b of m.basins) {
    lines.push(`  basin ${b.name} at ${m.xLabel} = ${fmt(b.x)}${b.y !== undefined ? `, ${m.yLabel} = ${fmt(b.y)}` : ''}${b.F !== undefined ? `: ${fmt(b.F)} ${m.unit}` : ''}`);
  }
  return lines.join('\n');
}

/**
 * A free-energy surface as a MIME bundle: the interactive `application/vnd.cglab.fes+json`
 * model plus SVG and text fallbacks. `surface` comes from `fes1d` / `fes2d` (kJ/mol).
 */
export function fes(surface: Fes1d | Fes2d, options: FesOptions = {}): MimeBundle {
  const m = fesModel(surface, options);
  return { data: { [MIME.fes]: m, 'image/svg+xml': fesSvg(m), 'text/plain': fesText(m) }, metadata: {} };
}
