import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alanineDipeptideTopology, buildAlanineDipeptide } from 'cglab/datasets/alanineDipeptide';
import { Random } from 'cglab/util/random';
import { HarmonicAngles, HarmonicBonds, PeriodicTorsions } from 'cglab/physics/bonded';
import { builtinForceField, loadForceField, type ClassicalForceField } from 'cglab/physics/forcefield';
import { LennardJonesCoulomb } from 'cglab/physics/nonbonded';
import { GbsaObc, type GbsaObcParameters } from 'cglab/physics/obc';

interface Term {
  accumulate(x: Float64Array, o: number, f: Float64Array): number;
}

const energy = (t: Term, x: Float64Array) => t.accumulate(x, 0, new Float64Array(x.length));

/** The built structure moved 0.01 nm per coordinate at random: off every minimum, no clash. */
function perturbed(seed: number): Float64Array {
  const rng = new Random(seed);
  return buildAlanineDipeptide(-70, 140).map((v) => v + 0.01 * rng.normal());
}

/**
 * Central differences with h = 1e-6 nm. On these structures (forces up to 1.3·10⁴ kJ/mol/nm)
 * they agree with the analytic forces to ≤ 3e-6 kJ/mol/nm: truncation error, ∝ h², is ≈ 1e-4 at
 * h = 1e-5; rounding error, ≈ 1e-16·|E|/h, takes over below h = 1e-7. The tolerance,
 * 1e-4 kJ/mol/nm + 1e-7·|F|, leaves a 30× margin yet fails on any wrong factor in a force.
 */
function assertForcesAreMinusGradient(name: string, t: Term, x: Float64Array): void {
  const f = new Float64Array(x.length);
  t.accumulate(x, 0, f);
  const h = 1e-6;
  for (let k = 0; k < x.length; k++) {
    const xp = Float64Array.from(x);
    xp[k] += h;
    const xm = Float64Array.from(x);
    xm[k] -= h;
    const fd = -(energy(t, xp) - energy(t, xm)) / (2 * h);
    assert.ok(Math.abs(fd - f[k]) <= 1e-4 + 1e-7 * Math.abs(fd), `${name}: coordinate ${k}: force ${f[k]} but −dE/dx ${fd}`);
  }
}

test('every term and the whole force field give forces −∇E (central differences)', () => {
  for (const solvent of ['vacuum', 'obc2'] as const) {
    const ff = builtinForceField('alanine-dipeptide', solvent);
    const p = ff.parameters;
    const terms: [string, Term][] = [
      ['bonds', new HarmonicBonds(p.bonds)],
      ['angles', new HarmonicAngles(p.angles)],
      ['torsions', new PeriodicTorsions(p.torsions)],
      ['nonbonded', new LennardJonesCoulomb(p.nonbonded)],
      [`${solvent} total`, { accumulate: (x, o, f) => { const e = new Float64Array(1); ff.evaluate(x, 1, f, e); return e[0]; } }],
    ];
    if (p.gbsa) terms.push(['gbsa', new GbsaObc(p.gbsa)]);
    for (const seed of [1, 2]) {
      const x = perturbed(seed);
      for (const [name, t] of terms) assertForcesAreMinusGradient(`${name}, seed ${seed}`, t, x);
    }
  }
});

test('GB forces are −∇E where one atom lies inside another\'s descreening sphere', () => {
  // B (ρ = 0.091, s = 0.182) at 0.1 nm from A (ρ = s = 0.291): B is buried in A's sphere
  // (ρ_B < s_A − r) and B's sphere lies inside A (ρ_A ≥ r + s_B), the two branches that
  // molecules rarely reach; C at 0.5 nm takes the ordinary branch.
  const gb: GbsaObcParameters = {
    model: 'OBC2', alpha: 1, beta: 0.8, gamma: 4.85, dielectricOffset: 0.009, probeRadius: 0.14,
    soluteDielectric: 1, solventDielectric: 78.3, surfaceAreaEnergy: 2.25936,
    particles: [{ charge: 0.5, radius: 0.3, scale: 1 }, { charge: -0.3, radius: 0.1, scale: 2 }, { charge: -0.2, radius: 0.15, scale: 0.8 }],
  };
  const x = Float64Array.from([0, 0, 0, 0.1, 0.003, -0.002, 0.02, 0.49, 0.1]);
  assertForcesAreMinusGradient('three-particle GB', new GbsaObc(gb), x);
});

test('energy and forces are invariant under rotation and translation; net force and torque vanish', () => {
  const ff = builtinForceField('alanine-dipeptide', 'obc2');
  const x = perturbed(3);
  const n = ff.nParticles;
  // Rotation by 50° about the unit axis (2, −1, 2)/3 (Rodrigues), then a shift.
  const [ux, uy, uz] = [2 / 3, -1 / 3, 2 / 3];
  const c = Math.cos(0.87);
  const s = Math.sin(0.87);
  const R = [
    [c + ux * ux * (1 - c), ux * uy * (1 - c) - uz * s, ux * uz * (1 - c) + uy * s],
    [uy * ux * (1 - c) + uz * s, c + uy * uy * (1 - c), uy * uz * (1 - c) - ux * s],
    [uz * ux * (1 - c) - uy * s, uz * uy * (1 - c) + ux * s, c + uz * uz * (1 - c)],
  ];
  const shift = [3.1, -7.2, 0.4];
  const move = (v: Float64Array, t: number[]) => {
    const out = new Float64Array(v.length);
    for (let i = 0; i < n; i++) {
      for (let a = 0; a < 3; a++) out[3 * i + a] = R[a][0] * v[3 * i] + R[a][1] * v[3 * i + 1] + R[a][2] * v[3 * i + 2] + t[a];
    }
    return out;
  };
  const y = move(x, shift);
  const fx = new Float64Array(3 * n);
  const fy = new Float64Array(3 * n);
  const e = new Float64Array(2);
  ff.evaluate(x, 1, fx, e.subarray(0, 1));
  ff.evaluate(y, 1, fy, e.subarray(1, 2));
  assert.ok(Math.abs(e[1] - e[0]) <= 1e-10 * Math.abs(e[0]), `energy ${e[0]} became ${e[1]}`);
  const rotated = move(fx, [0, 0, 0]);
  const fMax = Math.max(...fx.map(Math.abs));
  for (let k = 0; k < 3 * n; k++) assert.ok(Math.abs(fy[k] - rotated[k]) <= 1e-10 * fMax, `force ${k}: ${fy[k]} vs ${rotated[k]}`);
  const net = [0, 0, 0];
  const torque = [0, 0, 0];
  for (let i = 0; i < n; i++) {
    const [px, py, pz] = [x[3 * i], x[3 * i + 1], x[3 * i + 2]];
    const [gx, gy, gz] = [fx[3 * i], fx[3 * i + 1], fx[3 * i + 2]];
    net[0] += gx;
    net[1] += gy;
    net[2] += gz;
    torque[0] += py * gz - pz * gy;
    torque[1] += pz * gx - px * gz;
    torque[2] += px * gy - py * gx;
  }
  for (const v of [...net, ...torque]) assert.ok(Math.abs(v) <= 1e-9 * fMax, `net force ${net}, torque ${torque}`);
});

test('evaluate handles batches; energyTerms add up to the energy; the file carries topology, masses, constraints', () => {
  for (const solvent of ['vacuum', 'obc2'] as const) {
    const ff: ClassicalForceField = builtinForceField('alanine-dipeptide', solvent);
    assert.equal(ff.nParticles, 22);
    assert.equal(ff.dim, 3);
    assert.equal(ff.name, `alanine-dipeptide.amber99sbildn-${solvent === 'obc2' ? 'obc' : 'vacuum'}`);
    const a = perturbed(4);
    const b = perturbed(5);
    const both = new Float64Array([...a, ...b]);
    const f = new Float64Array(both.length).fill(NaN);
    const e = new Float64Array(2);
    ff.evaluate(both, 2, f, e);
    const fb = new Float64Array(b.length);
    const eb = new Float64Array(1);
    ff.evaluate(b, 1, fb, eb);
    assert.equal(e[1], eb[0]);
    assert.deepEqual(f.subarray(66), fb);
    const terms = ff.energyTerms(a);
    const sum = terms.bond + terms.angle + terms.torsion + terms.nonbonded + terms.gb;
    assert.ok(Math.abs(sum - e[0]) <= 1e-12 * Math.abs(e[0]), `${JSON.stringify(terms)} vs ${e[0]}`);
    assert.equal(terms.gb === 0, solvent === 'vacuum');
    assert.throws(() => ff.evaluate(a, 2, f, e), /evaluate\(batch = 2\) needs x and forces of at least 132 values/);
    assert.throws(() => ff.energyTerms(both), /energyTerms needs one configuration of 66 values/);

    const top = alanineDipeptideTopology();
    assert.deepEqual(ff.topology.atoms.map((t) => [t.name, t.residue, t.resid, t.element]), top.atoms.map((t) => [t.name, t.residue, t.resid, t.element]));
    assert.deepEqual(ff.topology.bonds, top.bonds);
    ff.masses.forEach((m, i) => assert.ok(Math.abs(m - top.atoms[i].mass) < 0.01, `mass ${i}: ${m}`));
    assert.equal(ff.constraints.distances.length, 12);
  }
});

test('bad parameter files give errors naming the file, the field and what was expected', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cglab-ff-'));
  const good = readFileSync(new URL('../../../kernel-lib/data/forcefields/alanine-dipeptide.amber99sbildn-obc.json', import.meta.url), 'utf8');
  // The edits reach into untyped JSON.
  type Json = any;
  const cases: [string, (d: Json) => void, RegExp][] = [
    ['format', (d) => { d.format = 'openmm-xml'; }, /: format must be 'cglab-forcefield', got "openmm-xml"/],
    ['version', (d) => { d.version = 2; }, /: version must be 1 \(the version this cglab reads; re-export with scripts\/export_openmm_system\.py\), got 2/],
    ['units', (d) => { d.units.length = 'angstrom'; }, /: units\.length must be 'nm', got "angstrom"/],
    ['periodicity 0', (d) => { d.torsions[3].periodicity = 0; }, /bad\.json: torsions\[3\]\.periodicity must be a positive integer, got 0$/],
    ['periodicity 1.5', (d) => { d.torsions[3].periodicity = 1.5; }, /: torsions\[3\]\.periodicity must be a positive integer, got 1\.5/],
    ['atom index', (d) => { d.bonds[0].atoms = [0, 22]; }, /: bonds\[0\]\.atoms must be 2 distinct atom indices in 0\.\.21, got \[0,22\]/],
    ['repeated atom', (d) => { d.angles[2].atoms = [1, 4, 1]; }, /: angles\[2\]\.atoms must be 3 distinct atom indices in 0\.\.21/],
    ['missing k', (d) => { delete d.angles[1].k; }, /: angles\[1\]\.k must be a non-negative finite number, got nothing \(the field is missing\)/],
    ['angle > π', (d) => { d.angles[0].angle = 4; }, /: angles\[0\]\.angle must be an angle in \[0, π\] rad, got 4/],
    ['bond length', (d) => { d.bonds[2].length = -0.1; }, /: bonds\[2\]\.length must be a positive finite number, got -0\.1/],
    ['string number', (d) => { d.nonbonded.particles[4].charge = '0.5'; }, /: nonbonded\.particles\[4\]\.charge must be a finite number, got "0\.5"/],
    ['particle count', (d) => { d.nonbonded.particles.pop(); }, /: nonbonded\.particles must be an array of 22 entries \(one per atom\), got 21 entries$/],
    ['repeated exception', (d) => { d.nonbonded.exceptions.push({ ...d.nonbonded.exceptions[5], atoms: [...d.nonbonded.exceptions[5].atoms].reverse() }); },
      /: nonbonded\.exceptions\[\d+\]\.atoms must be a pair not already listed \(nonbonded\.exceptions\[5\] has it\)/],
    ['GB model', (d) => { d.gbsa.model = 'OBC1'; }, /: gbsa\.model must be 'OBC2' \(or gbsa: null for vacuum\), got "OBC1"/],
    ['GB charge', (d) => { d.gbsa.particles[2].charge += 0.1; }, /: gbsa\.particles\[2\]\.charge must be nonbonded\.particles\[2\]\.charge \(-?[\d.]+\), got/],
    ['GB radius', (d) => { d.gbsa.particles[0].radius = 0.005; }, /: gbsa\.particles\[0\]\.radius must be larger than gbsa\.dielectricOffset \(0\.009 nm\), got 0\.005/],
    ['no GB', (d) => { delete d.gbsa; }, /: gbsa must be an object \(or null for vacuum\), got nothing/],
    ['constraint', (d) => { d.constraints[0].distance = 0; }, /: constraints\[0\]\.distance must be a positive finite number, got 0/],
    ['mass', (d) => { d.topology.atoms[5].mass = 0; }, /: topology\.atoms\[5\]\.mass must be a positive finite number, got 0/],
    ['source', (d) => { d.source.forcefields = 'amber99sbildn.xml'; }, /: source\.forcefields must be an array, got "amber99sbildn\.xml"/],
    ['torsions', (d) => { d.torsions = {}; }, /: torsions must be an array, got \{\}/],
  ];
  const file = join(dir, 'bad.json');
  for (const [what, edit, message] of cases) {
    const d = JSON.parse(good);
    edit(d);
    writeFileSync(file, JSON.stringify(d));
    assert.throws(() => loadForceField(file), (e: Error) => e.message.startsWith(file) && message.test(e.message), what);
  }
  writeFileSync(file, good.slice(0, 100));
  assert.throws(() => loadForceField(file), /bad\.json: not a JSON force-field parameter file/);
  assert.throws(() => loadForceField(join(dir, 'missing.json')), /missing\.json: cannot read the force-field parameter file/);
  // @ts-expect-error: a notebook may pass any string
  assert.throws(() => builtinForceField('alanine-dipeptide', 'tip3p'), /unknown solvent 'tip3p' for alanine-dipeptide; expected one of obc2, vacuum/);
  // @ts-expect-error: as above
  assert.throws(() => builtinForceField('chignolin', 'obc2'), /unknown system 'chignolin'; built-in systems: alanine-dipeptide/);
  rmSync(dir, { recursive: true, force: true });
});
