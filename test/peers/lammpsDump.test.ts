// Dumps written by LAMMPS itself (Debian's `lmp`) read by cglab: a Lennard-Jones liquid of two
// types in a triclinic box, from a data file of known coordinates, dumped as `custom` with
// Cartesian, scaled (columns shuffled, unsorted, ITEM: UNITS and ITEM: TIME) and unwrapped
// columns; and the same system in units metal, whose forces must equal those of units real once
// both are in kJ/mol/nm.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { readLammpsDump } from 'cglab/io/lammpsDump';
import { EV_TO_KJ, KCAL_TO_KJ } from 'cglab/units';
import { Random } from 'cglab/util/random';

/** The LAMMPS binary on PATH (`lmp` of the Debian package lammps), or undefined. */
function findLammps(): string | undefined {
  for (const d of (process.env.PATH ?? '').split(delimiter).concat('/usr/bin')) {
    for (const name of ['lmp', 'lmp_serial']) {
      try {
        accessSync(join(d, name), constants.X_OK);
        return join(d, name);
      } catch {
        // not here
      }
    }
  }
  return undefined;
}
const lmp = findLammps();

const ATOMS = 60;
/** Box (Å): origin and tilt of a restricted triclinic cell a = (20, 0, 0), b = (2, 20, 0), c = (−1.5, 1, 20). */
const ORIGIN = [0, -1, 2];
const A = [20, 0, 0];
const B = [2, 20, 0];
const C = [-1.5, 1, 20];
/** LJ ε (kcal/mol) and σ (Å) of the pairs 1-1, 2-2, 1-2. */
const LJ = [[1, 1, 0.2, 3.4], [2, 2, 0.15, 3.0], [1, 2, 0.17, 3.2]];

/** Atoms at random fractional coordinates inside the box, no two closer than 3 Å (minimum image). */
function atoms(): number[][] {
  const rng = new Random(17);
  const cart = (f: number[]) => [0, 1, 2].map((d) => ORIGIN[d] + f[0] * A[d] + f[1] * B[d] + f[2] * C[d]);
  const out: { f: number[]; r: number[] }[] = [];
  while (out.length < ATOMS) {
    const f = [0, 1, 2].map(() => 0.02 + 0.96 * rng.uniform());
    const close = out.some((o) => {
      const df = o.f.map((v, d) => v - f[d] - Math.round(v - f[d]));
      const dr = [0, 1, 2].map((d) => df[0] * A[d] + df[1] * B[d] + df[2] * C[d]);
      return Math.hypot(...dr) < 3;
    });
    if (!close) out.push({ f, r: cart(f) });
  }
  return out.map((o) => o.r);
}

function run(dir: string, input: string[]): void {
  writeFileSync(join(dir, 'in.lmp'), input.join('\n') + '\n');
  try {
    execFileSync(lmp!, ['-in', 'in.lmp', '-log', 'log.lammps', '-screen', 'none', '-nocite'], { cwd: dir, stdio: 'pipe' });
  } catch (e) {
    let log = '';
    try {
      log = readFileSync(join(dir, 'log.lammps'), 'utf8').split('\n').slice(-15).join('\n');
    } catch {
      // no log
    }
    throw new Error(`LAMMPS (${lmp} -in in.lmp) failed: ${(e as Error).message.split('\n')[0]}\nend of its log:\n${log}`);
  }
}

test('dumps LAMMPS writes: Cartesian, scaled and unwrapped columns, triclinic box, ITEM: UNITS/TIME; real and metal forces agree', { skip: lmp ? false : 'LAMMPS (lmp) is not installed' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'cglab-lmpdump-'));
  try {
    const r = atoms();
    writeFileSync(join(dir, 'sys.data'), [
      'cglab dump peer (units real or metal: Å, g/mol)', '', `${ATOMS} atoms`, '2 atom types', '',
      `${ORIGIN[0]} ${ORIGIN[0] + A[0]} xlo xhi`, `${ORIGIN[1]} ${ORIGIN[1] + B[1]} ylo yhi`, `${ORIGIN[2]} ${ORIGIN[2] + C[2]} zlo zhi`, `${B[0]} ${C[0]} ${C[1]} xy xz yz`, '',
      'Masses', '', '1 39.948', '2 20.18', '', 'Atoms # atomic', '',
      ...r.map((p, i) => `${i + 1} ${1 + (i % 2)} ${p.join(' ')}`), '',
    ].join('\n'));
    const common = (units: string, eps: (kcal: number) => number) => [
      `units ${units}`, 'atom_style atomic', 'boundary p p p', 'read_data sys.data', 'pair_style lj/cut 8.0',
      ...LJ.map(([i, j, e, s]) => `pair_coeff ${i} ${j} ${eps(e)} ${s}`),
    ];
    run(dir, [
      ...common('real', (e) => e),
      'timestep 2.0', 'velocity all create 300 4928 mom yes', 'fix 1 all nve',
      'dump 1 all custom 5 a.dump id type x y z fx fy fz', 'dump_modify 1 sort id format float %.17g',
      'dump 2 all custom 5 b.dump fz xs type zs fx id ys fy', 'dump_modify 2 format float %.17g units yes time yes',
      'dump 3 all custom 5 c.lammpstrj id xu yu zu', 'dump_modify 3 format float %.17g',
      'run 10',
    ]);
    // The same liquid in units metal: ε in eV with cglab's constants, so that the forces in
    // kJ/mol/nm must come out as in units real.
    run(dir, [...common('metal', (e) => (e * KCAL_TO_KJ) / EV_TO_KJ), 'dump 1 all custom 1 m.dump id x y z fx fy fz', 'dump_modify 1 sort id format float %.17g', 'run 0']);

    const a = readLammpsDump(join(dir, 'a.dump'), { timestep: 2 });
    assert.equal(a.nFrames, 3);
    assert.deepEqual(Array.from(a.step), [0, 5, 10]);
    assert.deepEqual(Array.from(a.time!), [0, 0.01, 0.02].map(Math.fround), 'steps × 2 fs, in ps');
    assert.deepEqual(Array.from(a.types!), Array.from({ length: ATOMS }, (_, i) => 1 + (i % 2)));
    const box = [...A, ...B, ...C].map((v) => Math.fround(v / 10));
    for (let f = 0; f < 3; f++) assert.deepEqual(Array.from(a.box!.subarray(9 * f, 9 * f + 9)), box, `box of frame ${f}`);
    // Frame 0 holds the data file's coordinates (LAMMPS remaps them through fractional ones: ~1e-15 Å).
    for (let i = 0; i < ATOMS; i++) {
      for (let d = 0; d < 3; d++) {
        const v = a.positions[3 * i + d];
        assert.ok(Math.abs(v - r[i][d] / 10) <= 1e-6, `atom ${i + 1} ${'xyz'[d]}: ${v} nm vs ${r[i][d] / 10}`);
      }
    }
    let fmax = 0;
    const total = [0, 0, 0];
    for (let i = 0; i < 3 * ATOMS; i++) {
      fmax = Math.max(fmax, Math.abs(a.forces![i]));
      total[i % 3] += a.forces![i];
    }
    assert.ok(fmax > 10, `the liquid has forces (max ${fmax} kJ/mol/nm)`);
    for (const t of total) assert.ok(Math.abs(t) <= 1e-4 * fmax, `pair forces sum to zero: ${total}`);

    // Shuffled, unsorted, scaled: the same frames once sorted by id and made Cartesian.
    const b = readLammpsDump(join(dir, 'b.dump'));
    assert.equal(b.provenance!.units, 'real', 'from ITEM: UNITS');
    assert.deepEqual(Array.from(b.time!), Array.from(a.time!), 'ITEM: TIME');
    assert.deepEqual(b.forces, a.forces);
    for (let i = 0; i < a.positions.length; i++) {
      assert.ok(Math.abs(b.positions[i] - a.positions[i]) <= 1e-6, `scaled → Cartesian ${i}: ${b.positions[i]} vs ${a.positions[i]}`);
    }
    assert.throws(() => readLammpsDump(join(dir, 'b.dump'), { units: 'metal' }), /b\.dump: the dump declares ITEM: UNITS real, but the units given are 'metal'/);
    // Unwrapped columns: positions differ from the wrapped ones by whole box vectors only.
    const c = readLammpsDump(join(dir, 'c.lammpstrj'));
    assert.equal(c.forces, undefined);
    for (let i = 0; i < a.positions.length; i += 3) {
      const dr = [0, 1, 2].map((d) => (c.positions[i + d] - a.positions[i + d]) * 10);
      // Fractional image shifts of the difference: n_c from z, n_b from y, n_a from x.
      const nc = dr[2] / C[2];
      const nb = (dr[1] - nc * C[1]) / B[1];
      const na = (dr[0] - nc * C[0] - nb * B[0]) / A[0];
      for (const n of [na, nb, nc]) assert.ok(Math.abs(n - Math.round(n)) < 1e-4, `atom ${i / 3 + 1}: unwrapped − wrapped is not a lattice vector (${na}, ${nb}, ${nc})`);
    }

    const m = readLammpsDump(join(dir, 'm.dump'), { units: 'metal' });
    for (let i = 0; i < 3 * ATOMS; i++) {
      const ref = a.forces![i];
      assert.ok(Math.abs(m.forces![i] - ref) <= 1e-6 * fmax, `force ${i}: metal ${m.forces![i]} vs real ${ref} kJ/mol/nm`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
