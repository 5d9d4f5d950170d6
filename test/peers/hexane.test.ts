// TraPPE-UA n-hexane against OpenMM 7.7's Reference platform (double precision). OpenMM's System
// is built by scripts/openmm_hexane.py from the literal TraPPE-UA numbers (Martin & Siepmann
// 1998, in K and nm, converted with OpenMM's own gas constant), not from ours, and its torsion is
// the OPLS formula itself in a CustomTorsionForce rather than our three periodic terms, so a
// wrong constant, phase or exclusion on our side shows up as a mismatch. The 1-2 and 1-3 pairs
// are excluded and the 1-4 pairs scaled by zero (createExceptionsFromBonds), which leaves exactly
// the 1-5 and 1-6 pairs within a molecule, as TraPPE has it. LJ is NonbondedForce with
// CutoffPeriodic, zero charges, no switch and no dispersion correction; the bonded forces use
// periodic boundaries, as ours do.
//
// Compared: total energy and every per-site force component on the built-in minimised start
// and on frames of an OpenMM Langevin run from it (300 K, friction 1/ps, 2 fs, no constraints),
// for the default system (150 molecules, 1.4 nm), 64 molecules with 1.0 nm and an orthorhombic
// box; the last frame also wrapped into the box site by site, which breaks chains across the
// faces. One Python process does all of OpenMM's work; JSON both ways is exact.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getSystem } from 'cglab/datasets/systems';
import { minimize } from 'cglab/md/minimize';
import { hexaneLattice, trappeHexane, wholeMolecules, type HexanePotential } from 'cglab/physics/hexane';
import { assertPeerAgreement, type Evaluation } from '../helpers/peerAgreement.js';
import { Random } from 'cglab/util/random';

const SCRIPT = fileURLToPath(new URL('../../../scripts/openmm_hexane.py', import.meta.url));

interface CaseResult {
  start: Evaluation;
  frames: (Evaluation & { x: number[]; wrapped?: boolean })[];
}
interface Case {
  name: string;
  potential: HexanePotential;
  x: Float64Array;
  /** Langevin steps before the first frame, then between frames. */
  firstFrame: number;
  every: number;
  frames: number;
}

// Frames from 0.2 ps on: by then the minimised lattice has heated and distorted, a different
// test from the start itself. The default box dominates the file's time (~0.02 s per Reference
// step for 900 sites and a 1.4 nm cut-off).
const cases: Case[] = [];
{
  const s = getSystem('hexane-liquid');
  cases.push({ name: 'built-in default, 150 molecules, 1.4 nm', potential: s.potential as HexanePotential, x: s.positions, firstFrame: 100, every: 100, frames: 3 });
}
{
  const s = getSystem('hexane-liquid', { molecules: 64, cutoff: 1.0 });
  cases.push({ name: '64 molecules, 1.0 nm', potential: s.potential as HexanePotential, x: s.positions, firstFrame: 100, every: 100, frames: 3 });
}
{
  // Unequal edges catch an axis mix-up a cube cannot (0.653 g/cm³).
  const box: [number, number, number] = [2.7, 2.8, 2.9];
  const potential = trappeHexane({ molecules: 100, box, cutoff: 1.2 });
  const x = wholeMolecules(minimize(potential, hexaneLattice(100, box, new Random(7)), { maxIterations: 500, tolerance: 500 }).x, 100, box);
  cases.push({ name: '100 molecules, 2.7 × 2.8 × 2.9 nm, 1.2 nm', potential, x, firstFrame: 100, every: 100, frames: 3 });
}

function runOpenMM(): CaseResult[] {
  const dir = mkdtempSync(join(tmpdir(), 'cglab-openmm-hexane-'));
  try {
    const input = join(dir, 'input.json');
    const spec = cases.map((c, k) => ({
      molecules: c.potential.options.molecules, box: c.potential.options.box, cutoff: c.potential.options.cutoff,
      x: Array.from(c.x), firstFrame: c.firstFrame, every: c.every, frames: c.frames, seed: 1998 + k,
    }));
    writeFileSync(input, JSON.stringify(spec));
    const output = join(dir, 'openmm.json');
    execFileSync('/usr/bin/python3', [SCRIPT, 'peer', input, output], { stdio: ['ignore', 'inherit', 'inherit'] });
    return JSON.parse(readFileSync(output, 'utf8')) as CaseResult[];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const openmm = runOpenMM();

// Both sides are double precision with the same functional forms; what is left is summation
// order and the gas constant: OpenMM's R (0.00831446261815324 kJ/mol/K) is 1.8e-11 relative
// above units.ts's CODATA 2018 value, and every term but the bonds scales with it. Measured:
// ≤ 3e-11 relative in energy and ≤ 2.3e-8 kJ/mol/nm in forces (largest components ~2.4e3);
// with our R in the script instead, 3e-14 and 8e-12, i.e. summation order only. The tolerances
// leave a margin of ≥ 30 over the measured errors and still fail on any real difference: one LJ
// pair missed or added at the 1.4 nm cut-off is ~8e-4 kJ/mol, 4e-7 of the 150-molecule total,
// and a 1e-8 relative error in ε or in a bonded constant moves the energy by ~1e-8.
const ENERGY_REL = 1e-9;
const FORCE_ABS = 1e-6;

cases.forEach((c, k) => {
  test(`${c.name}: energy and per-site forces agree with OpenMM Reference on the start, ${c.frames} Langevin frames and one wrapped site by site`, (t) => {
    const theirs = openmm[k];
    assert.equal(theirs.frames.length, c.frames + 1);
    assert.equal(theirs.frames.filter((f) => f.wrapped).length, 1);
    const configurations = [{ label: 'start', x: c.x, ...theirs.start }, ...theirs.frames.map((f, j) => ({ label: f.wrapped ? 'last frame wrapped' : `frame ${j}`, ...f, x: Float64Array.from(f.x) }))];
    const { worstEnergy, worstForce, largestForce } = assertPeerAgreement(c.potential, configurations, ENERGY_REL, FORCE_ABS);
    // The frames are new configurations, not the start again, and the wrapped one does break
    // chains across the faces (a bond longer than half the box).
    const last = configurations[configurations.length - 2];
    let msd = 0;
    for (let i = 0; i < c.x.length; i++) msd += (last.x[i] - c.x[i]) ** 2;
    assert.ok(Math.sqrt(msd / (c.x.length / 3)) > 0.02, 'the Langevin run did not move the sites');
    const wrapped = configurations[configurations.length - 1].x;
    const { box } = c.potential.options;
    let broken = 0;
    for (let s = 0; s < wrapped.length / 3 - 1; s++) {
      if (s % 6 === 5) continue;
      const d = Math.hypot(wrapped[3 * s + 3] - wrapped[3 * s], wrapped[3 * s + 4] - wrapped[3 * s + 1], wrapped[3 * s + 5] - wrapped[3 * s + 2]);
      if (d > Math.min(...box) / 2) broken++;
    }
    assert.ok(broken > 10, `only ${broken} bonds cross a face in the wrapped frame`);
    t.diagnostic(`energies ${configurations.map((q) => q.energy.toFixed(1)).join(', ')} kJ/mol; max relative energy error ${worstEnergy.toExponential(1)}`);
    t.diagnostic(`max force component error ${worstForce.toExponential(1)} kJ/mol/nm; largest component ${largestForce.toFixed(0)} kJ/mol/nm; ${broken} bonds across faces when wrapped`);
  });
});
