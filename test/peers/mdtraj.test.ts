// Files written by mdtraj 1.9.7 (the Python reference) are read by cglab, and files cglab writes
// are read by mdtraj, with the same coordinates, boxes, names and bonds.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readDcd, writeDcd } from 'cglab/io/dcd';
import { readPdb, writePdb } from 'cglab/io/pdb';
import { readXyz, writeXyz } from 'cglab/io/xyz';
import { boxVectorsToLengthsAngles, lengthsAnglesToBoxVectors } from 'cglab/io/box';
import { makeTrajectory, type Trajectory } from 'cglab/io/trajectory';
import { makeTopology, type Atom } from 'cglab/topology/topology';

const PYTHON = '/usr/bin/python3';
const dir = mkdtempSync(join(tmpdir(), 'cglab-mdtraj-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function python(script: string): any {
  return JSON.parse(execFileSync(PYTHON, ['-c', script, dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
}

const flat = (a: number[][][] | number[][]) => (a as unknown[]).flat(2) as number[];
const close = (actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string) => {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
};
const bondSet = (bonds: number[][]) => bonds.map(([i, j]) => (i < j ? `${i}-${j}` : `${j}-${i}`)).sort();

// A CG system with beads mdtraj has no element for (element None), two chains and non-standard
// residues, so that mdtraj writes every bond as CONECT and infers none from residue templates.
const MAKE = `
import sys, json, numpy as np, mdtraj as md
out = sys.argv[1]
top = md.Topology()
c1 = top.add_chain()
r1 = top.add_residue('CGX', c1, resSeq=1)
top.add_atom('CA', None, r1); top.add_atom('B1', None, r1)
r2 = top.add_residue('LIG', c1, resSeq=2)
top.add_atom('C1', md.element.carbon, r2); top.add_atom('O1', md.element.oxygen, r2)
c2 = top.add_chain()
r3 = top.add_residue('CGY', c2, resSeq=7)
top.add_atom('X1', None, r3); top.add_atom('X2', None, r3)
a = list(top.atoms)
for i, j in [(0, 1), (1, 2), (2, 3), (4, 5)]:
    top.add_bond(a[i], a[j])
xyz = (np.random.RandomState(7).rand(3, 6, 3) * 3).astype(np.float32)
tric_l = np.array([[3.0, 4.0, 5.0], [3.1, 4.1, 5.1], [3.2, 4.2, 5.2]])
tric_a = np.array([[80.0, 70.0, 60.0], [85.0, 75.0, 65.0], [60.0, 60.0, 90.0]])
ortho_l = tric_l
ortho_a = np.full((3, 3), 90.0)
pdb = md.Trajectory(xyz, top, unitcell_lengths=np.repeat(tric_l[:1], 3, 0), unitcell_angles=np.repeat(tric_a[:1], 3, 0))
pdb.save_pdb(out + '/m.pdb')
pdb.save_xyz(out + '/m.xyz')
tric = md.Trajectory(xyz, top, unitcell_lengths=tric_l, unitcell_angles=tric_a)
tric.save_dcd(out + '/tric.dcd')
ortho = md.Trajectory(xyz, top, unitcell_lengths=ortho_l, unitcell_angles=ortho_a)
ortho.save_dcd(out + '/ortho.dcd')
again = md.load(out + '/m.pdb')
print(json.dumps({
  'xyz': xyz.tolist(),
  'names': [x.name for x in top.atoms],
  'bonds': [[b[0].index, b[1].index] for b in top.bonds],
  'pdb_box': pdb.unitcell_vectors.tolist(),
  'tric_box': tric.unitcell_vectors.tolist(),
  'ortho_box': ortho.unitcell_vectors.tolist(),
  # mdtraj turns element None into its virtual site 'VS' (falsy); cglab calls that ''
  'pdb_elements': [x.element.symbol if x.element else '' for x in again.top.atoms],
  'pdb_resids': [x.residue.resSeq for x in again.top.atoms],
}))
`;

test('cglab reads what mdtraj writes: multi-model PDB with CONECT, XYZ, DCD with triclinic and orthorhombic cells', () => {
  const ref = python(MAKE);
  const xyz = flat(ref.xyz);

  const pdb = readPdb(join(dir, 'm.pdb'));
  assert.equal(pdb.nFrames, 3);
  assert.deepEqual(pdb.topology!.atoms.map((a) => a.name), ref.names);
  assert.deepEqual(pdb.topology!.atoms.map((a) => a.element), ref.pdb_elements, 'elements as mdtraj infers them');
  assert.deepEqual(pdb.topology!.atoms.map((a) => a.resid), ref.pdb_resids);
  assert.deepEqual(pdb.topology!.atoms.map((a) => a.chain), ['A', 'A', 'A', 'A', 'B', 'B']);
  assert.deepEqual(bondSet(pdb.topology!.bonds), bondSet(ref.bonds));
  close(pdb.positions, xyz, 0.0005 * 0.1 + 1e-6, 'PDB positions');
  close(pdb.box!, flat(ref.pdb_box), 0.0005 * 0.1 + 1e-4, 'PDB box');

  const x = readXyz(join(dir, 'm.xyz'));
  assert.deepEqual(x.topology!.atoms.map((a) => a.name), ref.names);
  close(x.positions, xyz, 0.0005 * 0.1 + 1e-6, 'XYZ positions');

  for (const kind of ['tric', 'ortho']) {
    const d = readDcd(join(dir, `${kind}.dcd`), { top: join(dir, 'm.pdb') });
    assert.deepEqual(d.topology!.atoms.map((a) => a.name), ref.names);
    close(d.positions, xyz, 1e-6, `${kind} DCD positions`);
    close(d.box!, flat(ref[`${kind}_box`]), 1e-5, `${kind} DCD box`);
  }
});

/** The system above, built in cglab, with a box per frame. */
function ours(box: Float32Array): Trajectory {
  const bead = (name: string, residue: string, resid: number, chain: string): Atom => ({ name, element: '', mass: 0, residue, resid, chain });
  const atoms: Atom[] = [
    bead('CA', 'CGX', 1, 'A'),
    bead('B1', 'CGX', 1, 'A'),
    { name: 'C1', element: 'C', mass: 12.011, residue: 'LIG', resid: 2, chain: 'A' },
    { name: 'O1', element: 'O', mass: 15.999, residue: 'LIG', resid: 2, chain: 'A' },
    bead('X1', 'CGY', 7, 'B'),
    bead('X2', 'CGY', 7, 'B'),
  ];
  const positions = Float32Array.from({ length: 3 * 6 * 3 }, (_, i) => 1.5 + Math.sin(i * 1.3) * 1.4);
  return makeTrajectory({ topology: makeTopology(atoms, [[0, 1], [1, 2], [2, 3], [4, 5]]), nFrames: 3, nAtoms: 6, positions, box });
}

const READ = `
import sys, json, mdtraj as md
out = sys.argv[1]
res = {}
pdb = md.load(out + '/ours.pdb')
res['pdb'] = {'xyz': pdb.xyz.tolist(), 'names': [a.name for a in pdb.top.atoms],
  'virtual': [a.element is md.element.virtual for a in pdb.top.atoms],
  'bonds': [[b[0].index, b[1].index] for b in pdb.top.bonds],
  'lengths': pdb.unitcell_lengths.tolist(), 'angles': pdb.unitcell_angles.tolist()}
xyz = md.load(out + '/ours.xyz', top=out + '/ours.pdb')
res['xyz'] = {'xyz': xyz.xyz.tolist()}
for kind in ['tric', 'ortho']:
    t = md.load(out + '/' + kind + '.dcd', top=out + '/ours.pdb')
    res[kind] = {'xyz': t.xyz.tolist(), 'names': [a.name for a in t.top.atoms],
      'lengths': t.unitcell_lengths.tolist(), 'angles': t.unitcell_angles.tolist()}
print(json.dumps(res))
`;

test('mdtraj reads what cglab writes: same coordinates, unit cells, atom names and bonds', () => {
  const cells = [[[3, 4, 5], [80, 70, 60]], [[3.1, 4.1, 5.1], [85, 75, 65]], [[3.2, 4.2, 5.2], [60, 60, 90]]];
  const tricBox = new Float32Array(27);
  const orthoBox = new Float32Array(27);
  const constBox = new Float32Array(27);
  cells.forEach(([l, a], f) => {
    tricBox.set(lengthsAnglesToBoxVectors(l, a), 9 * f);
    orthoBox.set(lengthsAnglesToBoxVectors(l, [90, 90, 90]), 9 * f);
    // mdtraj keeps one CRYST1 for all models, so the PDB gets one box
    constBox.set(lengthsAnglesToBoxVectors(cells[0][0], cells[0][1]), 9 * f);
  });
  const pdbTraj = ours(constBox);
  writePdb(join(dir, 'ours.pdb'), pdbTraj);
  writeXyz(join(dir, 'ours.xyz'), pdbTraj);
  writeDcd(join(dir, 'tric.dcd'), ours(tricBox));
  writeDcd(join(dir, 'ortho.dcd'), ours(orthoBox));
  const got = python(READ);
  const names = pdbTraj.topology!.atoms.map((a) => a.name);
  const cellsOf = (box: Float32Array) => Array.from({ length: 3 }, (_, f) => boxVectorsToLengthsAngles(box, 9 * f));

  assert.deepEqual(got.pdb.names, names);
  assert.deepEqual(got.pdb.virtual, pdbTraj.topology!.atoms.map((a) => a.element === ''), 'beads are virtual sites for mdtraj');
  assert.deepEqual(bondSet(got.pdb.bonds), bondSet(pdbTraj.topology!.bonds));
  close(flat(got.pdb.xyz), pdbTraj.positions, 0.0005 * 0.1 + 1e-6, 'PDB positions');
  close(flat(got.pdb.lengths), cellsOf(constBox).flatMap((c) => c.lengths), 0.0005 * 0.1 + 1e-6, 'PDB lengths');
  close(flat(got.pdb.angles), cellsOf(constBox).flatMap((c) => c.angles), 0.005 + 1e-4, 'PDB angles');

  close(flat(got.xyz.xyz), pdbTraj.positions, 1e-6, 'XYZ positions');

  for (const [kind, box] of [['tric', tricBox], ['ortho', orthoBox]] as const) {
    assert.deepEqual(got[kind].names, names);
    close(flat(got[kind].xyz), pdbTraj.positions, 1e-6, `${kind} DCD positions`);
    close(flat(got[kind].lengths), cellsOf(box).flatMap((c) => c.lengths), 1e-5, `${kind} DCD lengths`);
    close(flat(got[kind].angles), cellsOf(box).flatMap((c) => c.angles), 1e-3, `${kind} DCD angles`);
  }
});
