import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getSystem } from 'cglab/datasets/systems';
import { formatPdb, readPdb } from 'cglab/io/pdb';
import { readNpz } from 'cglab/io/npz';
import { makeTrajectory } from 'cglab/io/trajectory';

const bin = fileURLToPath(new URL('../../../node_modules/.bin/cglab', import.meta.url));

test('evaluate gives the system\'s energies and forces in the input\'s atom order, matching OpenMM-style names', () => {
  const sys = getSystem('alanine-dipeptide');
  const n = sys.topology.atoms.length;
  // Reverse the atoms and rename the caps' hydrogens the way OpenMM writes them (H1, H2, H3; NME C).
  const order = [...Array(n).keys()].reverse();
  const rename: Record<string, string> = { HH31: 'H1', HH32: 'H2', HH33: 'H3' };
  const atoms = order.map((i) => {
    const a = { ...sys.topology.atoms[i] };
    if (a.residue !== 'ALA' && rename[a.name]) a.name = rename[a.name];
    if (a.residue === 'NME' && a.name === 'CH3') a.name = 'C';
    return a;
  });
  // Residue order must stay sequential, so reverse atoms within each residue only.
  const byRes = [1, 2, 3].flatMap((r) => order.filter((i) => sys.topology.atoms[i].resid === r));
  const shuffledAtoms = byRes.map((i) => atoms[order.indexOf(i)]);
  const pos = new Float32Array(3 * n);
  byRes.forEach((i, k) => pos.set(sys.positions.subarray(3 * i, 3 * i + 3), 3 * k));
  const dir = mkdtempSync(join(tmpdir(), 'cglab-eval-'));
  const pdb = join(dir, 'shuffled.pdb');
  writeFileSync(pdb, formatPdb(makeTrajectory({ topology: { atoms: shuffledAtoms, bonds: [] }, nFrames: 1, nAtoms: n, positions: pos }, 'x')));
  const out = join(dir, 'out.npz');
  const r = spawnSync(bin, ['evaluate', '--system', 'alanine-dipeptide', '--coords', pdb, '--out', out], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /matched by residue and name/);
  const npz = readNpz(out);
  const e = npz.get('energies').data as Float64Array;
  const f = npz.get('forces').data as Float64Array;
  // Reference: the coordinates as read back from the PDB, put in the system's order.
  const read = readPdb(pdb).positions;
  const x = new Float64Array(3 * n);
  byRes.forEach((i, k) => { for (let d = 0; d < 3; d++) x[3 * i + d] = read[3 * k + d]; });
  const fr = new Float64Array(3 * n);
  const er = new Float64Array(1);
  sys.potential.evaluate(x, 1, fr, er);
  assert.ok(Math.abs(e[0] - er[0]) < 1e-9 * Math.abs(er[0]), `${e[0]} vs ${er[0]}`);
  byRes.forEach((i, k) => { for (let d = 0; d < 3; d++) assert.ok(Math.abs(f[3 * k + d] - fr[3 * i + d]) < 1e-9, `atom ${k}`); });
});

test('frames whose atoms do not match the system, unknown systems and bad parameter files are clear errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cglab-eval-'));
  const sys = getSystem('alanine-dipeptide');
  const atoms = sys.topology.atoms.map((a) => ({ ...a }));
  atoms[9].name = 'HX';
  const pdb = join(dir, 'bad.pdb');
  writeFileSync(pdb, formatPdb(makeTrajectory({ topology: { atoms, bonds: [] }, nFrames: 1, nAtoms: 22, positions: Float32Array.from(sys.positions) }, 'x')));
  const run = (a: string[]) => spawnSync(bin, ['evaluate', ...a, '--out', join(dir, 'o.npz')], { encoding: 'utf8' });
  assert.match(run(['--system', 'alanine-dipeptide', '--coords', pdb]).stderr, /bad\.pdb: atom HX of residue 2 \(ALA\) has no counterpart/);
  assert.match(run(['--system', 'water', '--coords', pdb]).stderr, /unknown system 'water'/);
  const badJson = join(dir, 'ff.json');
  writeFileSync(badJson, '{"format": "something-else"}');
  assert.match(run(['--system', badJson, '--coords', pdb]).stderr, /ff\.json: format must be 'cglab-forcefield'/);
  const small = join(dir, 'small.pdb');
  writeFileSync(small, formatPdb(makeTrajectory({ topology: { atoms: atoms.slice(0, 21), bonds: [] }, nFrames: 1, nAtoms: 21, positions: Float32Array.from(sys.positions.subarray(0, 63)) }, 'x')));
  assert.match(run(['--system', 'alanine-dipeptide', '--coords', small]).stderr, /small\.pdb: has 21 atoms, the system has 22/);
});
