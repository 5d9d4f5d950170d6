import { test } from 'node:test';
import assert from 'node:assert/strict';
import { curves, curvesModel, curveStyles } from 'cglab/display/curves';
import { MIME } from 'cglab/display/mime';
import { parseSvgs } from './helpers.js';

test('a record of metrics becomes one series each, x defaulting to the step index', () => {
  const m = curvesModel({ loss: [3, 2, 1], 'val loss': [3.5, 2.5, 2] });
  assert.deepEqual(m.series.map((s) => [s.name, s.run, s.x]), [
    ['loss', 'loss', [0, 1, 2]],
    ['val loss', 'val loss', [0, 1, 2]],
  ]);
});

test('runs share a colour, metrics of a run differ by dash', () => {
  const m = curvesModel([
    { name: 'loss', run: 'a', y: [1] },
    { name: 'val', run: 'a', y: [1] },
    { name: 'loss', run: 'b', y: [1] },
  ]);
  const st = curveStyles(m);
  assert.equal(st[0].color, st[1].color);
  assert.notEqual(st[0].color, st[2].color);
  assert.notEqual(st[0].dash, st[1].dash);
  assert.equal(st[0].dash, st[2].dash);
});

test('NaN values become gaps (null), long curves are thinned keeping both ends', () => {
  const y = Array.from({ length: 10001 }, (_, i) => (i === 5 ? NaN : 1 / (i + 1)));
  const m = curvesModel([{ name: 'loss', y }], { maxPoints: 100 });
  const s = m.series[0];
  assert.ok(s.x.length <= 102 && s.x.length >= 100, `${s.x.length} points`);
  assert.equal(s.x[0], 0);
  assert.equal(s.x[s.x.length - 1], 10000);
  const m2 = curvesModel([{ name: 'loss', y: [1, NaN, 2] }]);
  assert.deepEqual(m2.series[0].y, [1, null, 2]);
  assert.throws(() => curvesModel([{ name: 'bad', x: [1, 2], y: [1] }]), /'bad' has 2 x values but 1 y values/);
});

test('bundle: model, SVG with one path per curve and a log axis, text with last values', () => {
  const b = curves(
    [
      { name: 'loss', run: 'lr=1e-3', y: [10, 1, 0.1, 0.01] },
      { name: 'loss', run: 'lr=1e-2', x: [1, 2, 3], y: [5, 0, 0.5] },
    ],
    { logY: true, title: 'two runs' },
  );
  assert.deepEqual(Object.keys(b.data).sort(), [MIME.curves, 'image/svg+xml', 'text/plain'].sort());
  const svg = b.data['image/svg+xml'] as string;
  const [c] = parseSvgs([svg]);
  assert.equal(c.path, 2);
  // Log ticks: 0.01 … 10 as powers of ten.
  for (const t of ['0.01', '0.1', '1', '10']) assert.ok(svg.includes(`>${t}</text>`), `tick ${t}`);
  // The zero of the second run cannot sit on a log axis: its path breaks there (two M commands).
  const paths = [...svg.matchAll(/<path d="([^"]*)"/g)].map((m) => m[1]);
  assert.equal(paths[1].split('M').length - 1, 2);
  assert.match(b.data['text/plain'] as string, /lr=1e-3: loss \(4 points\) step 3: 0\.01/);
});

test('log axes less than a decade wide still get several ticks (1, 2, 5 × 10^k)', () => {
  const svg = curves([{ name: 'loss', y: [4.4, 2, 1, 0.37] }], { logY: true }).data['image/svg+xml'] as string;
  for (const t of ['0.5', '1', '2']) assert.ok(svg.includes(`>${t}</text>`), `tick ${t}`);
  const wide = curves([{ name: 'loss', y: [1e6, 1e-6] }], { logY: true }).data['image/svg+xml'] as string;
  const ticks = [...wide.matchAll(/text-anchor="end">([^<]+)</g)].map((m) => m[1]);
  assert.ok(ticks.length >= 2 && ticks.length <= 8, `ticks over 12 decades: ${ticks.join(' ')}`);
});
