// cglab's CG pair potential against LAMMPS running the same tables from the file cglab exports
// (io/pairTableFiles, `pair_style table linear N`, units real): forces and energy of random
// liquids of one and of two bead types, three frames each. Data goes to LAMMPS as data files
// (coordinates as shortest round-trip decimals) and comes back as dumps and a log printed with
// 17 significant digits.
//
// LAMMPS does not evaluate cglab's cubic Hermite table: it fits cubic splines through the file's
// rows, resamples them at N points evenly spaced in r², and interpolates E and F/r linearly in r²,
// separately. The test computes that itself from the file's rows (`lammpsModel`) and asks two
// things of LAMMPS: that it matches the model to rounding (1e-10; measured ~5e-14), which shows
// it ran our table as documented; and that it differs from cglab by no more than the model does,
// which makes that the whole, explained, difference. The diagnostics report its size for N =
// the rows, N = lammpsTableLength (the r² grid as fine as the rows) and 8× the rows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { PairTable } from 'cglab/cg/pairTable';
import { lammpsTableLength, lammpsUnitFactors, pairTableRows, readLammpsTable, writeLammpsTable } from 'cglab/io/pairTableFiles';
import { Random } from 'cglab/util/random';
import { pairPotential } from 'cglab/physics/pairPotential';
import { lj, morse } from '../helpers/pairFunctions.js';

const FRAMES = 3;
const BEADS = 400;
/** Box edges, nm: every edge ≥ 2 × the largest cut-off (0.9 nm). */
const BOX: [number, number, number] = [2.9, 3.1, 3.3];
/** Closest approach of the random liquids, nm: inside the walls of the tables with r0 0.25 nm. */
const MIN_DISTANCE = 0.23;
const { length: NM_PER_A, energy: KJ_PER_KCAL, force: KJNM_PER_KCALA } = lammpsUnitFactors('real');

/** The LAMMPS binary: `lmp` of the Debian package lammps (scripts/setup.mjs installs it). */
function findLammps(): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter).concat('/usr/bin')) {
    for (const name of ['lmp', 'lmp_serial']) {
      try {
        accessSync(join(dir, name), constants.X_OK);
        return join(dir, name);
      } catch {
        // not here
      }
    }
  }
  throw new Error(
    'LAMMPS is not installed: this test needs its `lmp` binary. Install the Debian package ' +
      '(`apt-get install --no-install-recommends lammps`, or run `npm run setup`, which installs it).',
  );
}

interface Case {
  name: string;
  typeNames: string[];
  masses: number[];
  /** Type of each bead, by index into typeNames. */
  types: Int32Array;
  /** Keyed 'A-B' as pairPotential wants them; the key is also the LAMMPS keyword. */
  tables: Map<string, PairTable>;
}

const CASES: Case[] = [
  {
    name: 'one bead type',
    typeNames: ['CG'],
    masses: [72],
    types: new Int32Array(BEADS),
    tables: new Map([['CG-CG', PairTable.fromFunction(lj(0.3, 1.2), 0.25, 0.9)]]),
  },
  {
    name: 'two bead types, three tables with different cut-offs',
    typeNames: ['A', 'B'],
    masses: [72, 45],
    types: Int32Array.from({ length: BEADS }, (_, i) => (i % 3 === 0 ? 1 : 0)),
    tables: new Map([
      ['A-A', PairTable.fromFunction(lj(0.3, 1.2), 0.25, 0.9)],
      ['A-B', PairTable.fromFunction(morse(2, 15, 0.32), 0.24, 0.8)],
      ['B-B', PairTable.fromFunction(lj(0.27, 0.8), 0.24, 0.7)],
    ]),
  },
];

/** Random sequential addition in the periodic box, no two beads closer than MIN_DISTANCE. */
function randomLiquid(rng: Random): Float64Array {
  const x = new Float64Array(3 * BEADS);
  for (let i = 0; i < BEADS; i++) {
    for (let tries = 0; ; tries++) {
      assert.ok(tries < 10000, 'could not place the beads');
      for (let k = 0; k < 3; k++) x[3 * i + k] = rng.uniform() * BOX[k];
      let ok = true;
      for (let j = 0; j < i && ok; j++) ok = distance2(x, i, j) >= MIN_DISTANCE ** 2;
      if (ok) break;
    }
  }
  return x;
}

function delta(x: Float64Array, i: number, j: number, k: number): number {
  const d = x[3 * i + k] - x[3 * j + k];
  return d - BOX[k] * Math.round(d / BOX[k]);
}

function distance2(x: Float64Array, i: number, j: number): number {
  let s = 0;
  for (let k = 0; k < 3; k++) s += delta(x, i, j, k) ** 2;
  return s;
}

/** Rows whose F lies outside both secants −ΔE/Δr to its neighbours (E's inflection points). */
function secantOutliers(table: PairTable): number {
  const { r, u, f } = pairTableRows(table);
  let n = 0;
  for (let i = 1; i < r.length - 1; i++) {
    const left = -(u[i] - u[i - 1]) / (r[i] - r[i - 1]);
    const right = -(u[i + 1] - u[i]) / (r[i + 1] - r[i]);
    if ((f[i] < left && f[i] < right) || (f[i] > left && f[i] > right)) n++;
  }
  return n;
}

/** The LAMMPS data file of one frame (units real: Å, amu), atom_style atomic. */
function dataFile(c: Case, x: Float64Array): string {
  const lines = ['cglab CG liquid (units real)', '', `${BEADS} atoms`, `${c.typeNames.length} atom types`, ''];
  'xyz'.split('').forEach((a, k) => lines.push(`0 ${BOX[k] / NM_PER_A} ${a}lo ${a}hi`));
  lines.push('', 'Masses', '', ...c.masses.map((m, t) => `${t + 1} ${m}`), '', 'Atoms # atomic', '');
  for (let i = 0; i < BEADS; i++) {
    lines.push(`${i + 1} ${c.types[i] + 1} ${x[3 * i] / NM_PER_A} ${x[3 * i + 1] / NM_PER_A} ${x[3 * i + 2] / NM_PER_A}`);
  }
  return lines.join('\n') + '\n';
}

/** LAMMPS keyword of the table between types a ≤ b, and whether the map holds it. */
function keywordOf(c: Case, a: number, b: number): string {
  const k = `${c.typeNames[a]}-${c.typeNames[b]}`;
  assert.ok(c.tables.has(k), `table ${k}`);
  return k;
}

/** One `run 0` per frame and table length, each from a clean slate; results are printed tagged. */
function lammpsInput(c: Case, lengths: number[]): string {
  const out: string[] = [];
  for (let f = 0; f < FRAMES; f++) {
    for (const n of lengths) {
      out.push('clear', 'units real', 'atom_style atomic', 'boundary p p p', `read_data frame${f}.data`);
      out.push(`pair_style table linear ${n}`);
      for (let a = 0; a < c.typeNames.length; a++) {
        for (let b = a; b < c.typeNames.length; b++) out.push(`pair_coeff ${a + 1} ${b + 1} pairs.table ${keywordOf(c, a, b)}`);
      }
      out.push('neighbor 2.0 bin', 'neigh_modify every 1 delay 0 check yes');
      out.push('thermo_style custom step pe', 'thermo_modify format float %.17g');
      out.push(`dump f all custom 1 forces-${f}-${n}.dump id fx fy fz`, 'dump_modify f sort id format float %.17g');
      out.push('run 0', `print "cglab-pe ${f} ${n} $(pe:%.17g)"`, 'undump f', '');
    }
  }
  return out.join('\n');
}

/** Forces of a `dump custom … id fx fy fz` sorted by id, converted to kJ/mol/nm. */
function readDump(path: string): Float64Array {
  const lines = readFileSync(path, 'utf8').trim().split('\n');
  const start = lines.findIndex((l) => l.startsWith('ITEM: ATOMS'));
  assert.equal(lines[start], 'ITEM: ATOMS id fx fy fz', path);
  const f = new Float64Array(3 * BEADS);
  const rows = lines.slice(start + 1);
  assert.equal(rows.length, BEADS, path);
  rows.forEach((line, i) => {
    const w = line.trim().split(/\s+/).map(Number);
    assert.equal(w[0], i + 1, `${path}: atoms sorted by id`);
    for (let k = 0; k < 3; k++) f[3 * i + k] = w[k + 1] * KJNM_PER_KCALA;
  });
  return f;
}

/**
 * A cubic spline through (x0 + i·h, y[i]) with slopes yp0 and ypn at the ends, which is what
 * LAMMPS fits to a table's rows (its `spline`/`splint`, Numerical Recipes' clamped spline):
 * second derivatives m from the tridiagonal system, solved by the Thomas algorithm.
 */
function clampedSpline(x0: number, h: number, y: Float64Array, yp0: number, ypn: number): (x: number) => number {
  const n = y.length;
  const diag = new Float64Array(n).fill(4);
  const rhs = new Float64Array(n);
  diag[0] = diag[n - 1] = 2;
  rhs[0] = (6 / h) * ((y[1] - y[0]) / h - yp0);
  rhs[n - 1] = (6 / h) * (ypn - (y[n - 1] - y[n - 2]) / h);
  for (let i = 1; i < n - 1; i++) rhs[i] = (6 * (y[i + 1] - 2 * y[i] + y[i - 1])) / (h * h);
  for (let i = 1; i < n; i++) {
    const w = 1 / diag[i - 1];
    diag[i] -= w;
    rhs[i] -= w * rhs[i - 1];
  }
  const m = new Float64Array(n);
  m[n - 1] = rhs[n - 1] / diag[n - 1];
  for (let i = n - 2; i >= 0; i--) m[i] = (rhs[i] - m[i + 1]) / diag[i];
  return (x) => {
    const k = Math.max(0, Math.min(n - 2, Math.floor((x - x0) / h)));
    const b = (x - (x0 + k * h)) / h;
    const a = 1 - b;
    return a * y[k] + b * y[k + 1] + (((a * a * a - a) * m[k] + (b * b * b - b) * m[k + 1]) * h * h) / 6;
  };
}

/**
 * What `pair_style table linear N` computes from the file's rows (LAMMPS pair_table docs and
 * compute_table): cubic splines through the rows, E with end slopes −F and F with end slopes
 * from its first and last two rows, evaluated at N points evenly spaced in r² from the first
 * row to the cut-off; E and F/r are then interpolated linearly in r² between those points.
 * @returns (r², out) → out = [E (kJ/mol), F/r (kJ/mol/nm²)].
 */
function lammpsModel(table: PairTable, n: number): (r2: number, out: Float64Array) => void {
  const { r, u, f } = pairTableRows(table);
  const rows = r.length;
  const h = (r[rows - 1] - r[0]) / (rows - 1);
  const energy = clampedSpline(r[0], h, u, -f[0], -f[rows - 1]);
  const force = clampedSpline(r[0], h, f, (f[1] - f[0]) / h, (f[rows - 1] - f[rows - 2]) / h);
  const lo2 = r[0] ** 2;
  const ds = (r[rows - 1] ** 2 - lo2) / (n - 1);
  const e = new Float64Array(n);
  const g = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const rk = Math.sqrt(lo2 + k * ds);
    e[k] = energy(rk);
    g[k] = force(rk) / rk;
  }
  return (r2, out) => {
    const k = Math.floor((r2 - lo2) / ds);
    const t = (r2 - (lo2 + k * ds)) / ds;
    out[0] = e[k] + t * (e[k + 1] - e[k]);
    out[1] = g[k] + t * (g[k + 1] - g[k]);
  };
}

/**
 * Energy (kJ/mol) and forces (kJ/mol/nm) of `lammpsModel` over all pairs, and `size`: per force
 * component, the sum of the pairs' |contributions| (what rounding errors scale with).
 */
function modelForces(c: Case, x: Float64Array, n: number): { energy: number; forces: Float64Array; size: Float64Array } {
  const nt = c.typeNames.length;
  const models = new Map<number, { cut2: number; at: (r2: number, out: Float64Array) => void }>();
  for (let a = 0; a < nt; a++) {
    for (let b = a; b < nt; b++) {
      const t = c.tables.get(keywordOf(c, a, b))!;
      const m = { cut2: t.cutoff ** 2, at: lammpsModel(t, n) };
      models.set(a * nt + b, m).set(b * nt + a, m);
    }
  }
  const forces = new Float64Array(3 * BEADS);
  const size = new Float64Array(3 * BEADS);
  const v = new Float64Array(2);
  let energy = 0;
  for (let i = 0; i < BEADS; i++) {
    for (let j = i + 1; j < BEADS; j++) {
      const m = models.get(c.types[i] * nt + c.types[j])!;
      const r2 = distance2(x, i, j);
      if (r2 >= m.cut2) continue;
      m.at(r2, v);
      energy += v[0];
      for (let k = 0; k < 3; k++) {
        const d = delta(x, i, j, k) * v[1];
        forces[3 * i + k] += d;
        forces[3 * j + k] -= d;
        size[3 * i + k] += Math.abs(d);
        size[3 * j + k] += Math.abs(d);
      }
    }
  }
  return { energy, forces, size };
}

const lmp = findLammps();

/** Runs LAMMPS on `input` in `dir`, logging to dir/log.lammps; a failure shows the log's end. */
function runLammps(dir: string, input: string): void {
  try {
    execFileSync(lmp, ['-in', input, '-log', 'log.lammps', '-screen', 'none', '-nocite'], {
      cwd: dir,
      env: { ...process.env, OMP_NUM_THREADS: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (e) {
    let log = '(no log)';
    try {
      log = readFileSync(join(dir, 'log.lammps'), 'utf8').split('\n').slice(-20).join('\n');
    } catch {
      // LAMMPS stopped before opening its log
    }
    throw new Error(`LAMMPS (${lmp} -in ${input}) failed: ${(e as Error).message.split('\n')[0]}\nend of its log:\n${log}`);
  }
}

for (const c of CASES) {
  test(`${c.name}: cglab's pair forces and energy agree with LAMMPS on the exported tables`, (t) => {
    const started = Date.now();
    const rows = Math.max(...Array.from(c.tables.values(), (tb) => pairTableRows(tb).r.length));
    // The rows in the file, the N whose r² grid is as fine as the rows everywhere, and 8× the rows.
    const lengths = [rows, lammpsTableLength([...c.tables.values()]), 8 * rows];
    const rng = new Random(2024 + c.typeNames.length);
    const frames = Array.from({ length: FRAMES }, () => randomLiquid(rng));
    const dir = mkdtempSync(join(tmpdir(), 'cglab-lammps-'));
    try {
      writeLammpsTable(join(dir, 'pairs.table'), Array.from(c.tables, ([keyword, table]) => ({ keyword, table })), 'real');
      frames.forEach((x, f) => writeFileSync(join(dir, `frame${f}.data`), dataFile(c, x)));
      writeFileSync(join(dir, 'in.cglab'), lammpsInput(c, lengths));
      runLammps(dir, 'in.cglab');
      const log = readFileSync(join(dir, 'log.lammps'), 'utf8');
      // LAMMPS checks each row's F against the secants −ΔE/Δr to its neighbours and warns of
      // every row outside both, which happens only at E's inflection points (F's extrema): one
      // per table here. Any other warning (but that of run 0 without fixes) is a failure.
      const expected = Array.from(c.tables, ([keyword, table]) => `WARNING: ${secantOutliers(table)} of ${pairTableRows(table).r.length} force values in table ${keyword} are inconsistent with -dE/dr.`);
      const warnings = log.split('\n').filter((l) => l.startsWith('WARNING') && !/No fixes defined|Should only be flagged at inflection points/.test(l));
      assert.deepEqual(warnings, Array.from({ length: FRAMES * lengths.length }, () => expected).flat(), 'LAMMPS warnings');
      const pe = new Map<string, number>();
      for (const m of log.matchAll(/^cglab-pe (\d+) (\d+) (\S+)$/gm)) pe.set(`${m[1]} ${m[2]}`, Number(m[3]) * KJ_PER_KCAL);
      assert.equal(pe.size, FRAMES * lengths.length, 'one energy per frame and table length in the log');

      const potential = pairPotential({ box: BOX, types: c.types, typeNames: c.typeNames, tables: c.tables });
      const ours = new Float64Array(3 * BEADS);
      const energy = new Float64Array(1);
      const worst = lengths.map(() => ({ model: 0, modelEnergy: 0, force: 0, relative: 0, energy: 0, energyRelative: 0 }));
      const energies: string[] = [];
      let rms = 0;
      frames.forEach((x, f) => {
        potential.evaluate(x, 1, ours, energy);
        const scale = Math.sqrt(ours.reduce((s, v) => s + v * v, 0) / ours.length);
        rms = Math.max(rms, scale);
        energies.push(energy[0].toFixed(3));
        // Random beads this close sit mostly on the repulsive side: a large positive energy
        // and forces of tens of kJ/mol/nm, so agreement below cannot come from empty tables.
        assert.ok(energy[0] > 100 && scale > 10, `frame ${f}: cglab energy ${energy[0]} kJ/mol, RMS force ${scale} kJ/mol/nm`);
        lengths.forEach((n, l) => {
          const theirs = readDump(join(dir, `forces-${f}-${n}.dump`));
          const theirEnergy = pe.get(`${f} ${n}`)!;
          const model = modelForces(c, x, n);
          const w = worst[l];
          assert.ok(theirEnergy > 100, `frame ${f}, N ${n}: LAMMPS energy ${theirEnergy} kJ/mol`);
          for (let k = 0; k < ours.length; k++) {
            // LAMMPS vs the model of what it computes: rounding only (same operations, in Å
            // and kcal/mol rather than nm and kJ/mol, and the rows' shortest decimals).
            const dm = Math.abs(theirs[k] - model.forces[k]);
            w.model = Math.max(w.model, dm / (model.size[k] || 1));
            assert.ok(dm <= 1e-10 * model.size[k], `frame ${f}, N ${n}, force ${k}: LAMMPS ${theirs[k]}, model of its interpolation ${model.forces[k]} kJ/mol/nm`);
            // LAMMPS vs cglab: at most what the model differs from cglab by, plus that rounding.
            const d = Math.abs(theirs[k] - ours[k]);
            w.force = Math.max(w.force, d);
            w.relative = Math.max(w.relative, d / (model.size[k] || 1));
            assert.ok(d <= Math.abs(model.forces[k] - ours[k]) + 1e-10 * model.size[k], `frame ${f}, N ${n}, force ${k}: LAMMPS ${theirs[k]}, cglab ${ours[k]} kJ/mol/nm`);
          }
          const dme = Math.abs(theirEnergy - model.energy);
          w.modelEnergy = Math.max(w.modelEnergy, dme);
          assert.ok(dme <= 1e-10 * Math.abs(model.energy), `frame ${f}, N ${n}: LAMMPS energy ${theirEnergy}, model ${model.energy} kJ/mol`);
          const de = Math.abs(theirEnergy - energy[0]);
          w.energy = Math.max(w.energy, de);
          w.energyRelative = Math.max(w.energyRelative, de / Math.abs(energy[0]));
          assert.ok(de <= Math.abs(model.energy - energy[0]) + 1e-10 * Math.abs(model.energy), `frame ${f}, N ${n}: LAMMPS energy ${theirEnergy}, cglab ${energy[0]} kJ/mol`);
        });
      });
      lengths.forEach((n, l) => {
        const w = worst[l];
        t.diagnostic(
          `pair_style table linear ${n}: max |LAMMPS − cglab| force ${w.force.toExponential(2)} kJ/mol/nm (${w.relative.toExponential(1)} of the pair sum; RMS force ${rms.toFixed(0)}), ` +
            `energy ${w.energy.toExponential(2)} kJ/mol (${w.energyRelative.toExponential(1)} of it); LAMMPS vs model of its interpolation: force ${w.model.toExponential(1)} of the pair sum, energy ${w.modelEnergy.toExponential(1)} kJ/mol`,
        );
      });
      t.diagnostic(`cglab energies ${energies.join(', ')} kJ/mol; ${((Date.now() - started) / 1000).toFixed(1)} s`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test("LAMMPS's own pair_write output of an exported table reads back with readLammpsTable", () => {
  const table = CASES[0].tables.get('CG-CG')!;
  const rows = pairTableRows(table);
  const n = rows.r.length;
  // In Å as the file's R line has them (1.5 and 9, not 1.4999999999999998 = 0.15 nm / 0.1).
  const [lo, hi] = [rows.r[0], rows.r[n - 1]].map((r) => Number((r / NM_PER_A).toPrecision(12)));
  const dir = mkdtempSync(join(tmpdir(), 'cglab-lammps-'));
  try {
    writeLammpsTable(join(dir, 'pairs.table'), [{ keyword: 'CG-CG', table }], 'real');
    const input = [
      'units real',
      'atom_style atomic',
      `region box block 0 ${BOX[0] / NM_PER_A} 0 ${BOX[1] / NM_PER_A} 0 ${BOX[2] / NM_PER_A}`,
      'create_box 1 box',
      'mass 1 72',
      `pair_style table linear ${n}`,
      'pair_coeff 1 1 pairs.table CG-CG',
      // LAMMPS's interpolated E and F at the rows' distances; at rhi itself, the cut-off, 0.
      `pair_write 1 1 ${n} r ${lo} ${hi} written.table LAMMPS`,
    ];
    writeFileSync(join(dir, 'in.write'), input.join('\n') + '\n');
    runLammps(dir, 'in.write');
    const back = readLammpsTable(join(dir, 'written.table'), 'LAMMPS', 'real');
    assert.equal(back.u.length, n);
    assert.ok(Math.abs(back.r0 - rows.r[0]) < 1e-12 && Math.abs(back.cutoff - table.cutoff) < 1e-12, `range ${back.r0}–${back.cutoff} nm`);
    const model = lammpsModel(table, n);
    const v = new Float64Array(2);
    for (let i = 0; i < n - 1; i++) {
      // pair_write prints 15 significant digits.
      const r = back.r0 + i * back.dr;
      model(r * r, v);
      assert.ok(Math.abs(back.u[i] - v[0]) <= 1e-12 * (1 + Math.abs(v[0])), `E at ${r} nm: pair_write ${back.u[i]}, model ${v[0]} kJ/mol`);
      assert.ok(Math.abs(back.f[i] - v[1] * r) <= 1e-12 * (1 + Math.abs(v[1] * r)), `F at ${r} nm: pair_write ${back.f[i]}, model ${v[1] * r} kJ/mol/nm`);
    }
    assert.deepEqual([back.u[n - 1], back.f[n - 1]], [0, 0]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
