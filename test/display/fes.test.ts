import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fes1d, fes2d } from 'cglab/analysis/fes';
import { kT } from 'cglab/units';
import { fes, fesModel, findBasins } from 'cglab/display/fes';
import { MIME, type FesProfileModel, type FesSurfaceModel } from 'cglab/display/mime';
import { parseSvgs } from './helpers.js';

// Samples of a symmetric double well: minima at ±1, none near 0.
function doubleWellSamples(n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u = (i + 0.5) / n;
    out[i] = (i % 2 ? 1 : -1) * (1 + 0.3 * Math.sin(2 * Math.PI * u) * Math.abs(Math.cos(7 * u)));
  }
  return out;
}

test('1-D bundle: custom model, SVG and text fallbacks, energies in kT by default', () => {
  const s = fes1d(doubleWellSamples(4000), { min: -2, max: 2, bins: 20 }, 300);
  const b = fes(s, { xLabel: 'x (nm)' });
  assert.deepEqual(Object.keys(b.data).sort(), [MIME.fes, 'image/svg+xml', 'text/plain'].sort());
  const m = fesModel(s);
  const p = m.panels[0] as FesProfileModel;
  assert.equal(m.unit, 'kT');
  assert.equal(p.x.length, 20);
  s.F.forEach((f, i) => (Number.isFinite(f) ? assert.ok(Math.abs((p.F[i] as number) - f / kT(300)) < 1e-12) : assert.equal(p.F[i], null)));
  // NaN must never reach JSON (it would become null silently or break the parse).
  assert.doesNotThrow(() => JSON.parse(JSON.stringify(b.data)));
  assert.match(b.data['text/plain'] as string, /kT at 300 K/);
});

test('kJ/mol keeps the analysis values', () => {
  const s = fes1d(doubleWellSamples(1000), { min: -2, max: 2, bins: 10 }, 300);
  const p = fesModel(s, { unit: 'kJ/mol' }).panels[0] as FesProfileModel;
  s.F.forEach((f, i) => assert.equal(p.F[i], Number.isFinite(f) ? f : null));
  assert.throws(() => fesModel(s, { unit: 'kcal' as never }), /unit must be 'kT' or 'kJ\/mol'/);
});

test('auto basins find the two wells of a double well, deepest first', () => {
  const s = fes1d(doubleWellSamples(8000), { min: -2, max: 2, bins: 40 }, 300);
  const basins = fesModel(s).basins;
  assert.ok(basins.length >= 2);
  const xs = basins.slice(0, 2).map((b) => b.x).sort((a, b) => a - b);
  assert.ok(xs[0] < -0.6 && xs[0] > -1.4, `left well at ${xs[0]}`);
  assert.ok(xs[1] > 0.6 && xs[1] < 1.4, `right well at ${xs[1]}`);
  assert.deepEqual(basins.map((b) => b.name), basins.map((_, k) => 'ABCD'[k]));
  assert.ok((basins[0].F as number) <= (basins[1].F as number));
});

test('2-D surfaces are laid out with rows of constant y', () => {
  const x = [0.1, 0.1, 0.1, 0.9];
  const y = [0.2, 0.2, 0.8, 0.8];
  const s = fes2d(x, y, { min: 0, max: 1, bins: 2 }, { min: 0, max: 1, bins: 2 }, 300);
  const p = fesModel(s, { unit: 'kJ/mol' }).panels[0] as FesSurfaceModel;
  // counts: (x0,y0)=2, (x0,y1)=1, (x1,y1)=1, (x1,y0)=0.
  assert.equal(p.F[0][0], 0);
  assert.ok(Math.abs((p.F[1][0] as number) - kT(300) * Math.log(2)) < 1e-12);
  assert.equal(p.F[0][1], null);
  assert.deepEqual(p.x, [0.25, 0.75]);
});

test('a reference is drawn beside the surface or subtracted from it', () => {
  const g = { min: -2, max: 2, bins: 16 };
  const a = fes1d(doubleWellSamples(3000), g, 300);
  const ref = fes1d(doubleWellSamples(5000).map((v) => v * 0.9), g, 300);
  const side = fesModel(a, { reference: ref });
  assert.equal(side.mode, 'side-by-side');
  assert.deepEqual(side.panels.map((p) => p.label), ['CG model', 'reference']);
  const diff = fesModel(a, { reference: ref, compare: 'difference' });
  assert.equal(diff.panels.length, 1);
  const [pa, pr, pd] = [side.panels[0], side.panels[1], diff.panels[0]] as FesProfileModel[];
  pd.F.forEach((d, i) => assert.equal(d, pa.F[i] === null || pr.F[i] === null ? null : (pa.F[i] as number) - (pr.F[i] as number)));
  assert.equal(diff.basins.length, 0);
  assert.throws(() => fesModel(a, { reference: fes1d([0], { min: -2, max: 2, bins: 8 }, 300) }), /same grid/);
  const twoD = fes2d([0], [0], g, g, 300);
  assert.throws(() => fesModel(a, { reference: twoD }), /same dimension/);
});

test('given basins get their free energy; the SVG fallback is well-formed and shows them', () => {
  const g = { min: -2, max: 2, bins: 12 };
  const xs = doubleWellSamples(4000);
  const ys = xs.map((v, i) => v * 0.5 + (i % 3) * 0.1);
  const s2 = fes2d(xs, ys, g, g, 300);
  const b2 = fes(s2, { basins: [{ name: 'left', x: -1, y: -0.45 }], reference: s2 });
  const m = b2.data[MIME.fes] as ReturnType<typeof fesModel>;
  assert.equal(m.basins[0].name, 'left');
  assert.equal(typeof m.basins[0].F, 'number');
  const b1 = fes(fes1d(xs, g, 300));
  const [c2, c1] = parseSvgs([b2.data['image/svg+xml'] as string, b1.data['image/svg+xml'] as string]);
  // Two 12×12 panels of cells plus a 40-step colour bar and the frame of each panel.
  assert.ok(c2.rect >= 2 * 144 + 40, `rects: ${c2.rect}`);
  assert.ok((b2.data['image/svg+xml'] as string).includes('>left<'));
  assert.equal(c1.path, 1);
  assert.ok(c1.circle >= 2, 'basins of the 1-D profile are marked');
});

test('findBasins ignores one-bin noise next to a minimum', () => {
  const F = [3, 2, 0, 0.1, 0.05, 2, 3, 1, 3];
  const b = findBasins({ dim: 1, label: '', x: F.map((_, i) => i), F });
  assert.deepEqual(b.map((v) => v.x), [2, 7]);
});
