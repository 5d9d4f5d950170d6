import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PairTable } from 'cglab/cg/pairTable';
import {
  formatLammpsTable,
  lammpsTableLength,
  lammpsUnitFactors,
  PAIR_TABLE_CSV_HEADER,
  pairTableRows,
  parseLammpsTable,
  parsePairTableCsv,
  readLammpsTable,
  readPairTableCsv,
  writeLammpsTable,
  writePairTableCsv,
} from 'cglab/io/pairTableFiles';
import { EV_TO_KJ, KCAL_TO_KJ } from 'cglab/units';
import { lj, morse } from '../helpers/pairFunctions.js';

const LJ = PairTable.fromFunction(lj(0.3, 1.2), 0.25, 0.9);
const MORSE = PairTable.fromFunction(morse(2, 15, 0.32), 0.24, 0.8);

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'cglab-pairfiles-'));
}

/**
 * `b` reproduces `a` from the first row to the cut-off, at the rows and between them, to 1e-9
 * of each value (or of the largest value of its kind, for values crossing zero).
 */
function assertSameTable(a: PairTable, b: PairTable, what: string): void {
  const rows = pairTableRows(a);
  const n = rows.r.length;
  assert.ok(Math.abs(b.r0 - rows.r[0]) < 1e-12 && Math.abs(b.cutoff - a.cutoff) < 1e-12, `${what}: range ${b.r0}–${b.cutoff}`);
  assert.equal(b.u.length, n, `${what}: nodes`);
  const su = Math.max(...Array.from(rows.u, Math.abs));
  const sf = Math.max(...Array.from(rows.f, Math.abs));
  const near = (x: number, y: number, scale: number, where: string) => assert.ok(Math.abs(x - y) <= 1e-9 * Math.abs(y) + 1e-12 * scale, `${what} ${where}: ${x} vs ${y}`);
  for (let i = 0; i < n; i++) {
    near(b.u[i], rows.u[i], su, `U at row ${i}`);
    near(b.f[i], rows.f[i], sf, `F at row ${i}`);
  }
  const va = new Float64Array(2);
  const vb = new Float64Array(2);
  for (let k = 0; k < 2000; k++) {
    const r = rows.r[0] + ((a.cutoff - rows.r[0]) * (k + 0.37)) / 2000;
    a.evaluate(r, va);
    b.evaluate(r, vb);
    near(vb[0], va[0], su, `U(${r})`);
    near(vb[1], va[1], sf, `F(${r})`);
  }
}

test('CSV: exact header, a row every 0.002 nm from 0.1 nm inside r0 to the cut-off, U = 0 there', () => {
  const dir = tmp();
  try {
    const path = join(dir, 'CG-CG.csv');
    writePairTableCsv(path, LJ);
    const lines = readFileSync(path, 'utf8').split('\n');
    assert.equal(lines[0], 'r_nm,U_kJmol,F_kJmolnm');
    assert.equal(lines[0], PAIR_TABLE_CSV_HEADER);
    assert.equal(lines.at(-1), '', 'ends with a newline');
    const rows = lines.slice(1, -1).map((l) => l.split(',').map(Number));
    assert.equal(rows.length, Math.round((0.9 - 0.15) / 0.002) + 1);
    assert.equal(lines[1].split(',')[0], '0.15');
    rows.forEach(([r], i) => assert.ok(Math.abs(r - (0.15 + 0.002 * i)) < 1e-12, `row ${i}: r ${r}`));
    const last = lines.at(-2)!.split(',');
    assert.deepEqual(last.slice(0, 2), ['0.9', '0']);
    // F positive = repulsive at short range, attractive (negative) at the LJ tail.
    assert.ok(rows[0][2] > 1000 && rows[rows.length - 2][2] < 0);
    // Inside the cut-off the force tends to the table's last node, which the last row holds.
    assert.equal(Number(last[2]), LJ.f[LJ.f.length - 1]);
    // Every row is the table itself at that r (the wall below r0 included).
    const v = new Float64Array(2);
    rows.slice(0, -1).forEach(([r, u, f]) => {
      LJ.evaluate(r, v);
      assert.ok(Math.abs(u - v[0]) <= 1e-12 * Math.abs(v[0]) + 1e-15 && Math.abs(f - v[1]) <= 1e-12 * Math.abs(v[1]) + 1e-15, `row r = ${r}`);
    });
    assert.ok(rows[0][1] > LJ.u[0] + 50, 'the first rows lie in the wall, at least 50 kJ/mol above U(r0)');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('CSV round trip of Lennard-Jones and Morse tables', () => {
  const dir = tmp();
  try {
    for (const [name, table] of [['lj', LJ], ['morse', MORSE]] as const) {
      const path = join(dir, `${name}.csv`);
      writePairTableCsv(path, table);
      assertSameTable(table, readPairTableCsv(path), name);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('LAMMPS file: header, sections, N … R rlo rhi and rows in real and metal units', () => {
  const text = formatLammpsTable([{ keyword: 'A-A', table: LJ }, { keyword: 'A-B', table: MORSE }], 'real', new Date('2025-03-04T12:00:00Z'));
  const lines = text.split('\n');
  assert.equal(lines[0], '# DATE: 2025-03-04  UNITS: real  CONTRIBUTOR: cglab (pair tables)');
  assert.equal(lines[1], '');
  assert.match(lines[2], /^# A-A: r Å, E kcal\/mol, F kcal\/mol\/Å; cglab r0 2\.5 Å, cut-off 9 Å$/);
  assert.equal(lines[3], 'A-A');
  assert.equal(lines[4], 'N 376 R 1.5 9');
  assert.equal(lines[5], '');
  const rows = pairTableRows(LJ);
  const first = lines[6].split(' ');
  assert.deepEqual(first.slice(0, 2), ['1', '1.5']);
  const same = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-15 * Math.abs(b), `${what}: ${a} vs ${b}`);
  same(Number(first[2]), rows.u[0] / KCAL_TO_KJ, 'E in kcal/mol');
  same(Number(first[3]), (rows.f[0] * 0.1) / KCAL_TO_KJ, 'F in kcal/mol/Å');
  assert.deepEqual(lines[6 + 375].split(' ').slice(0, 3), ['376', '9', '0']);
  const second = lines.indexOf('A-B');
  assert.equal(lines[second + 1], `N ${pairTableRows(MORSE).r.length} R 1.4 8`);
  for (let i = 0; i < 376; i++) assert.equal(Number(lines[6 + i].split(' ')[1]), Math.round(150 + 2 * i) / 100, `row ${i + 1}: r in Å on the 0.02 Å grid`);

  const metal = formatLammpsTable([{ keyword: 'CG', table: LJ }], 'metal').split('\n');
  assert.match(metal[0], /UNITS: metal/);
  const m = metal[6].split(' ').map(Number);
  same(m[2], rows.u[0] / EV_TO_KJ, 'E in eV');
  same(m[3], (rows.f[0] * 0.1) / EV_TO_KJ, 'F in eV/Å');
  const metalFactors = lammpsUnitFactors('metal');
  assert.deepEqual([metalFactors.length, metalFactors.energy], [0.1, EV_TO_KJ]);
  same(metalFactors.force, 964.85332123310018, 'kJ/mol/nm per eV/Å');
  same(lammpsUnitFactors('real').force, 41.84, 'kJ/mol/nm per kcal/mol/Å');
  assert.throws(() => lammpsUnitFactors('lj' as 'real'), /'real' or 'metal'/);
});

test('LAMMPS round trip in real and metal units, any section of a file', () => {
  const dir = tmp();
  try {
    for (const units of ['real', 'metal'] as const) {
      const path = join(dir, `pairs.${units}.table`);
      writeLammpsTable(path, [{ keyword: 'A-A', table: LJ }, { keyword: 'A-B', table: MORSE }, { keyword: 'B-B', table: LJ }], units);
      assertSameTable(LJ, readLammpsTable(path, 'A-A', units), `${units} A-A`);
      assertSameTable(MORSE, readLammpsTable(path, 'A-B', units), `${units} A-B`);
      assertSameTable(LJ, readLammpsTable(path, 'B-B', units), `${units} B-B`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('LAMMPS files without R (explicit evenly spaced r), with FPRIME and a pair_write header are read', () => {
  const rows = pairTableRows(MORSE);
  const k = lammpsUnitFactors('real');
  const body = Array.from(rows.r, (r, i) => `${i + 1} ${(r / k.length).toFixed(6)} ${rows.u[i] / k.energy} ${rows.f[i] / k.force}`);
  const text = ['# DATE: 2024-01-01 UNITS: real Created by pair_write', '# comment', '', 'MORSE', `N ${rows.r.length} FPRIME -1 0`, '', ...body, ''].join('\n');
  assertSameTable(MORSE, parseLammpsTable(text, 'morse.table', 'MORSE', 'real'), 'explicit r');
});

test('write failures leave no file; a failed rewrite leaves the old one', () => {
  const dir = tmp();
  try {
    assert.throws(() => writePairTableCsv(join(dir, 'missing', 'x.csv'), LJ), /ENOENT/);
    assert.throws(() => writeLammpsTable(join(dir, 'missing', 'x.table'), [{ keyword: 'X', table: LJ }], 'real'), /ENOENT/);
    assert.deepEqual(readdirSync(dir), []);
    const path = join(dir, 'pairs.table');
    writeLammpsTable(path, [{ keyword: 'X', table: LJ }], 'real');
    const before = readFileSync(path, 'utf8');
    assert.throws(() => writeLammpsTable(path, [{ keyword: 'X', table: MORSE }, { keyword: 'X', table: LJ }], 'real'), /keyword 'X' given twice/);
    assert.throws(() => writeLammpsTable(path, [{ keyword: 'A B', table: MORSE }], 'real'), /one word/);
    assert.throws(() => writeLammpsTable(path, [{ keyword: '#A', table: MORSE }], 'real'), /not starting with '#'/);
    assert.throws(() => writeLammpsTable(path, [], 'real'), /no tables/);
    // The last row is the cut-off, so it must be on the rows' grid.
    const offGrid = PairTable.fromFunction(lj(0.3, 1.2), 0.25, 0.9013);
    assert.throws(() => writeLammpsTable(path, [{ keyword: 'X', table: offGrid }], 'real'), /the cut-off 0.9013 nm is not a multiple of 0.002 nm, the rows' spacing; the last row would put it at 0.902 nm/);
    assert.throws(() => writePairTableCsv(join(dir, 'off.csv'), offGrid), /not a multiple of 0.002 nm/);
    assert.equal(readFileSync(path, 'utf8'), before);
    assert.deepEqual(readdirSync(dir), ['pairs.table']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** The CSV of LJ as lines, to corrupt. */
function csvLines(): string[] {
  const dir = tmp();
  try {
    writePairTableCsv(join(dir, 'x.csv'), LJ);
    return readFileSync(join(dir, 'x.csv'), 'utf8').split('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('CSV errors name the file, the line and the column', () => {
  const good = csvLines();
  const n = good.length - 1; // the last element is the empty string after the final newline
  const errorOf = (lines: string[]) => {
    const dir = tmp();
    const path = join(dir, 'bad.csv');
    try {
      writeFileSync(path, lines.join('\n'));
      assert.throws(() => readPairTableCsv(path), (e: Error) => e.message.startsWith(`${path} line `));
      try {
        readPairTableCsv(path);
      } catch (e) {
        return (e as Error).message.slice(path.length + 1);
      }
      return '';
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const edit = (line: number, text: string) => good.map((l, i) => (i === line - 1 ? text : l));

  assert.match(errorOf(edit(1, 'r,U,F')), /^line 1: expected the header 'r_nm,U_kJmol,F_kJmolnm', found 'r,U,F'$/);
  assert.match(errorOf(['', ...good.slice(1)]), /^line 1: expected the header/);
  assert.match(errorOf(edit(7, '0.162,12x,5')), /^line 7, column 2 \(U_kJmol\): '12x' is not a number$/);
  assert.match(errorOf(edit(9, '0.166,1,')), /^line 9, column 3 \(F_kJmolnm\): '' is not a number$/);
  assert.match(errorOf(edit(4, 'nan,1,2')), /^line 4, column 1 \(r_nm\): 'nan' is not a number$/);
  assert.match(errorOf(edit(5, '0.158,1')), /^line 5: expected 3 comma-separated fields/);
  const [, u, f] = good[20].split(',');
  assert.match(errorOf(edit(21, `0.1885,${u},${f}`)), /^line 21, column 1 \(r_nm\): rows must be evenly spaced in r: expected r = 0.188 \(spacing 0.002 from the first and last rows\), found 0.1885$/);
  assert.match(errorOf(edit(n, '0.9,0.5,0')), new RegExp(`^line ${n}, column 2 \\(U_kJmol\\): U must be 0 at the last row \\(the cut-off, r = 0.9\\), found 0.5$`));
  assert.match(errorOf([good[0], good[1], '']), /^line 3: a pair table needs at least 2 rows after the header, found 1$/);
  assert.match(errorOf([good[0]]), /^line 2: a pair table needs at least 2 rows after the header, found 0$/);
  assert.match(errorOf([good[0], '0.9,0,0', '0.5,0,0']), /^line 3, column 1 \(r_nm\): r must increase/);
});

test('LAMMPS file errors name the file and the line', () => {
  const text = formatLammpsTable([{ keyword: 'A-A', table: LJ }, { keyword: 'B-B', table: MORSE }], 'real');
  const lines = text.split('\n');
  const errorOf = (t: string, keyword = 'A-A', units: 'real' | 'metal' = 'real') => {
    try {
      parseLammpsTable(t, 'pairs.table', keyword, units);
    } catch (e) {
      return (e as Error).message;
    }
    assert.fail(`no error reading ${keyword}`);
  };
  const edit = (line: number, s: string) => lines.map((l, i) => (i === line - 1 ? s : l)).join('\n');
  // Line 7 is A-A's first row, 5 its parameter line.
  assert.equal(errorOf(text, 'C-C'), "pairs.table: no section 'C-C'; the file holds A-A, B-B");
  assert.equal(errorOf(text, 'A-A', 'metal'), 'pairs.table line 1: the file is in LAMMPS units real, not metal');
  assert.equal(errorOf(edit(7, '1 1.5 12x 3')), "pairs.table line 7, column 3 (energy): '12x' is not a number");
  assert.equal(errorOf(edit(7, '1 1.5 3')), "pairs.table line 7: expected 'index r energy force', found '1 1.5 3'");
  assert.equal(errorOf(edit(8, '7 1.52 3 4')), "pairs.table line 8, column 1 (index): expected row index 2, found '7'");
  assert.match(errorOf(edit(5, 'R 1.5 9')), /^pairs.table line 5: the parameter line must give N/);
  assert.equal(errorOf(edit(5, 'N 376 RSQ 1.5 9')), 'pairs.table line 5, word 3: RSQ tables are not evenly spaced in r; cglab reads R tables or explicit evenly spaced r');
  assert.equal(errorOf(edit(5, 'N 376 R 1.5 9 SPLINE')), "pairs.table line 5, word 6: unknown table parameter 'SPLINE' (expected N, R, FPRIME)");
  assert.equal(errorOf(edit(5, 'N 1 R 1.5 9')), "pairs.table line 5: section 'A-A' has N = 1; a pair table needs at least 2 rows");
  assert.equal(errorOf(edit(5, 'N 400 R 1.5 9')), "pairs.table line 383: section 'A-A' declares N = 400 rows but has only 376");
  const [, , e, f] = lines[6 + 375].split(' ');
  assert.equal(e, '0');
  assert.equal(errorOf(edit(6 + 376, `376 9 0.25 ${f}`)), 'pairs.table line 382, column 3 (energy): E must be 0 at the last row (the cut-off, r = 9 Å), found 0.25 kcal/mol');
  // Without R, the r column must be evenly spaced.
  const noR = edit(5, 'N 376').split('\n');
  noR[19] = noR[19].replace(/^14 1.76 /, '14 1.761 ');
  assert.equal(errorOf(noR.join('\n')), 'pairs.table line 20, column 2 (r): rows must be evenly spaced in r: expected r = 1.76 Å (spacing 0.02 Å from the first and last rows), found 1.761 Å');
  // A section B-B skipped on the way to a later one still has to be whole.
  assert.equal(errorOf(text.replace('B-B\nN 331', 'B-B\nM 331'), 'C-C'), "pairs.table line 386, word 1: unknown table parameter 'M' (expected N, R, FPRIME)");
});

test('lammpsTableLength: the r² grid of pair_style table linear N nowhere coarser than the rows', () => {
  // rlo 0.15 nm, rhi 0.9 nm: N − 1 ≥ (0.9² − 0.15²)/(2 · 0.15 · 0.002).
  assert.equal(lammpsTableLength([LJ]), 1314);
  // rlo 0.14 nm, rhi 0.8 nm: 1108 intervals; one N serves both tables, so the larger.
  assert.equal(lammpsTableLength([MORSE]), 1109);
  assert.equal(lammpsTableLength([MORSE, LJ]), 1314);
  assert.throws(() => lammpsTableLength([]), /no tables/);
});
