// φ/ψ and chirality checked by mdtraj, and the built topology accepted by OpenMM's amber99sbildn.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alanineDipeptideTopology, buildAlanineDipeptide } from 'cglab/datasets/alanineDipeptide';

function pdbText(x: Float64Array): string {
  const top = alanineDipeptideTopology();
  const lines = top.atoms.map((a, i) => {
    const name = a.name.length < 4 ? ` ${a.name.padEnd(3)}` : a.name;
    const xyz = [0, 1, 2].map((k) => (x[3 * i + k] * 10).toFixed(3).padStart(8)).join('');
    return `ATOM  ${String(i + 1).padStart(5)} ${name} ${a.residue.padEnd(3)} A${String(a.resid).padStart(4)}    ${xyz}  1.00  0.00          ${a.element.padStart(2)}`;
  });
  return [...lines, 'END', ''].join('\n');
}

test('mdtraj reads the built φ/ψ; OpenMM builds an amber99sbildn + OBC system from the topology', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cglab-geom-'));
  const file = join(dir, 'ala.pdb');
  writeFileSync(file, pdbText(buildAlanineDipeptide(-63, -41)));
  const out = execFileSync('/usr/bin/python3', ['-c', `
import sys, mdtraj as md, numpy as np
from openmm import app
t = md.load(sys.argv[1])
print(float(np.degrees(md.compute_phi(t)[1][0, 0])), float(np.degrees(md.compute_psi(t)[1][0, 0])))
pdb = app.PDBFile(sys.argv[1])
s = app.ForceField('amber99sbildn.xml', 'amber99_obc.xml').createSystem(pdb.topology, nonbondedMethod=app.NoCutoff, constraints=app.HBonds)
print(s.getNumParticles(), s.getNumConstraints())
`, file], { encoding: 'utf8' }).trim().split('\n');
  const [phi, psi] = out[0].split(' ').map(Number);
  // PDB keeps 0.001 Å: angles built from such coordinates are good to a few 0.01°.
  assert.ok(Math.abs(phi + 63) < 0.05 && Math.abs(psi + 41) < 0.05, out[0]);
  assert.equal(out[1], '22 12');
});
