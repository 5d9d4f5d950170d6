// The pure halves of the JupyterLab renderers (model → plotly figure, model → what NGL loads).
// Their DOM halves are exercised in a real browser by test/e2e.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fes1d, fes2d } from 'cglab/analysis/fes';
import { curvesModel, curveStyles } from 'cglab/display/curves';
import { fesModel } from 'cglab/display/fes';
import { encodeFloat32, moleculeModel } from 'cglab/display/molecule';
import { makeTopology } from 'cglab/topology/topology';
import { fesFigure } from 'cglab-jupyterlab/lib/fesFigure.js';
import { curvesFigure, plotlyDash } from 'cglab-jupyterlab/lib/curvesFigure.js';
import { checkModel } from 'cglab-jupyterlab/lib/figure.js';
import { colorInt, decodeFloat32, frameAngstrom, layerPdb, layerRepresentations } from 'cglab-jupyterlab/lib/structure.js';

const samples = Array.from({ length: 2000 }, (_, i) => (i % 2 ? 1 : -1) * (1 + 0.4 * Math.sin(i)));
const g = { min: -2, max: 2, bins: 16 };

test('FES 1-D: a line in the model unit plus labelled basin markers', () => {
  const m = fesModel(fes1d(samples, g, 300));
  const fig = fesFigure(m);
  const line = fig.data[0];
  assert.equal(line.type, 'scatter');
  assert.deepEqual(line.y, m.panels[0].dim === 1 ? m.panels[0].F : []);
  const marks = fig.data[1];
  assert.deepEqual(marks.text, m.basins.map((b) => b.name));
  assert.match(String((fig.layout.yaxis as { title: { text: string } }).title.text), /\(kT\)/);
});

test('FES side by side: one x axis per panel, domains apart, one energy scale', () => {
  const a = fes2d(samples, samples.map((v) => v / 2), g, g, 300);
  const m = fesModel(a, { reference: a });
  const fig = fesFigure(m);
  const [d1, d2] = [fig.layout.xaxis, fig.layout.xaxis2].map((ax) => (ax as { domain: [number, number] }).domain);
  assert.ok(d1[1] < d2[0], `${d1} then ${d2}`);
  const heat = fig.data.filter((t) => t.type === 'heatmap');
  assert.equal(heat.length, 2);
  assert.deepEqual(heat.map((t) => [t.zmin, t.zmax]), [[0, m.maxF], [0, m.maxF]]);
  assert.deepEqual(heat.map((t) => t.showscale), [false, true]);
  assert.deepEqual(heat.map((t) => t.xaxis), ['x', 'x2']);
  assert.equal(fig.data.filter((t) => t.type === 'contour').length, 2);
});

test('FES difference: a symmetric diverging scale and no contour lines', () => {
  const a = fes2d(samples, samples.map((v) => v / 2), g, g, 300);
  const b = fes2d(samples.map((v) => v * 0.9), samples.map((v) => v / 2), g, g, 300);
  const fig = fesFigure(fesModel(a, { reference: b, compare: 'difference' }));
  const heat = fig.data.filter((t) => t.type === 'heatmap');
  assert.equal(heat.length, 1);
  assert.equal(heat[0].zmin, -(heat[0].zmax as number));
  assert.ok(Array.isArray(heat[0].colorscale));
  assert.equal(fig.data.filter((t) => t.type === 'contour').length, 0);
});

test('curves: log axes, run colours and metric dashes as in the SVG fallback', () => {
  const m = curvesModel(
    [
      { name: 'loss', run: 'a', y: [1, 0.5] },
      { name: 'val', run: 'a', y: [1.2, 0.7] },
    ],
    { logY: true },
  );
  const fig = curvesFigure(m);
  assert.equal((fig.layout.yaxis as { type: string }).type, 'log');
  assert.equal((fig.layout.xaxis as { type: string }).type, 'linear');
  const styles = curveStyles(m);
  fig.data.forEach((t, k) => {
    assert.equal((t.line as { color: string }).color, styles[k].color);
    assert.equal((t.line as { dash: string }).dash, plotlyDash(styles[k].dash));
  });
  assert.equal(plotlyDash(''), 'solid');
  assert.equal(plotlyDash('6 3'), '6px,3px');
  // Zoom must survive live updates: plotly keeps UI state while uirevision is unchanged.
  assert.equal(fig.layout.uirevision, curvesFigure(curvesModel([{ name: 'loss', run: 'a', y: [1, 0.5, 0.2] }], { logY: true })).layout.uirevision);
});

test('models from a newer cglab are refused with a message that says what to do', () => {
  assert.throws(() => checkModel({ version: 2 }, 'application/vnd.cglab.fes+json'), /newer than this extension.*update cglab-jupyterlab/);
  assert.throws(() => checkModel('x', 'application/vnd.cglab.fes+json'), /expected a JSON object/);
  assert.doesNotThrow(() => checkModel({ version: 1 }, 'm'));
});

const top = makeTopology(
  [
    { name: 'CA', element: 'C', mass: 12, residue: 'ALA', resid: 2 },
    { name: 'CL', element: 'Cl', mass: 35, residue: 'LIG', resid: 12345 },
    { name: 'BB', element: '', mass: 72, residue: 'ALA', resid: 3 },
  ],
  [[0, 1], [0, 2]],
);

test('coordinates decode in the browser form exactly as the kernel encoded them; frames in Å', () => {
  const v = Float32Array.of(0.1, -2.5, 3, 4, 5, 6);
  assert.deepEqual(decodeFloat32(encodeFloat32(v)), v);
  assert.deepEqual(Array.from(frameAngstrom(v, 1, 1)), [40, 50, 60]);
  assert.throws(() => frameAngstrom(v, 1, 2), /frame 2 is out of range: 2 frames/);
});

test('PDB text: fixed columns, Å, element column, CONECT for every bond', () => {
  const m = moleculeModel({ topology: top, positions: [0.1, 0.2, 0.3, -1.2345, 0, 0, 1, 1, 1] });
  const layer = m.layers[0];
  const pdb = layerPdb(layer, decodeFloat32(layer.positions));
  const atoms = pdb.split('\n').filter((l) => l.startsWith('HETATM'));
  assert.equal(atoms.length, 3);
  assert.equal(atoms[0].slice(12, 16), ' CA ');
  assert.equal(atoms[1].slice(12, 16), 'CL  ');
  assert.equal(atoms[0].slice(17, 20), 'ALA');
  assert.equal(Number(atoms[1].slice(22, 26)), 2345);
  assert.equal(Number(atoms[0].slice(30, 38)), 1);
  assert.equal(Number(atoms[1].slice(30, 38)), -12.345);
  assert.equal(atoms[1].slice(76, 78), 'CL');
  assert.equal(atoms[2].slice(76, 78).trim(), '');
  assert.ok(atoms.every((l) => l.length === 78));
  const conect = pdb.split('\n').filter((l) => l.startsWith('CONECT'));
  assert.deepEqual(conect, ['CONECT    1    2    3', 'CONECT    2    1', 'CONECT    3    1']);
});

test('representations: beads as spheres of their own radii (Å) plus thin sticks; colours as integers', () => {
  const m = moleculeModel({ topology: top, positions: new Array(9).fill(0), style: 'beads', radii: [0.1, 0.2, 0.3] });
  const reps = layerRepresentations(m.layers[0]);
  assert.deepEqual(reps.map((r) => r.type), ['spacefill', 'licorice']);
  assert.deepEqual(reps[0].params.radiusData, { 0: 1, 1: 2, 2: 3 });
  assert.equal(reps[0].params.radiusType, 'data');
  const translucent = { ...m.layers[0], opacity: 0.5 };
  assert.equal(layerRepresentations(translucent)[0].params.depthWrite, false);
  assert.equal(colorInt('#ff8000'), 0xff8000);
  assert.throws(() => colorInt('red'), /not of the form #rrggbb/);
});
