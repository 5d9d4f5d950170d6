/**
 * The files a fitted CG pair potential is exported to, and read back from: a CSV table in
 * cglab's units and a LAMMPS `pair_style table` file in `real` or `metal` units. Both hold the
 * same rows (`pairTableRows`): one every 0.002 nm from 0.1 nm inside r0 (in the wall) to the
 * cut-off, where U is 0. This is a public contract: other programs read these files, so the
 * header, the spacing and the units below do not change.
 *
 * CSV (`writePairTableCsv`), a Lennard-Jones table (σ 0.3 nm, ε 1.2 kJ/mol, r0 0.25, cut-off 0.9 nm):
 *
 *     r_nm,U_kJmol,F_kJmolnm
 *     0.15,658.2054541284234,10884.402210455848
 *     0.152,636.6201320679912,10700.919849976295
 *     …
 *     0.898,-0.00008823401464416129,-0.044460719538476384
 *     0.9,0,-0.04377532030836912
 *
 * LAMMPS (`writeLammpsTable`), the same table in units real, one section per table:
 *
 *     # DATE: 2025-01-31  UNITS: real  CONTRIBUTOR: cglab (pair tables)
 *
 *     # CG-CG: r Å, E kcal/mol, F kcal/mol/Å; cglab r0 2.5 Å, cut-off 9 Å
 *     CG-CG
 *     N 376 R 1.5 9
 *
 *     1 1.5 157.31487909379143 260.14345627284536
 *     2 1.52 152.15586330496922 255.7581226093761
 *     …
 *     376 9 0 -0.001046255265496394
 */
import { readFileSync } from 'node:fs';
import { PairTable } from '../cg/pairTable.js';
import { lammpsUnitStyle } from '../units.js';
import { writeFileAtomic } from './atomic.js';
import { parseDecimal } from './decimal.js';

/** Spacing of the rows of both file formats, nm. */
export const PAIR_TABLE_FILE_STEP = 0.002;

/** The header line of a pair-table CSV file, exactly. */
export const PAIR_TABLE_CSV_HEADER = 'r_nm,U_kJmol,F_kJmolnm';

const CSV_COLUMNS = PAIR_TABLE_CSV_HEADER.split(',');

/** Rows r (nm), U (kJ/mol), F = −dU/dr (kJ/mol/nm, positive: repulsive). */
export interface PairTableRows {
  r: Float64Array;
  u: Float64Array;
  f: Float64Array;
}

/**
 * The rows both formats hold: `table.sample(0.002)`, every 0.002 nm from 0.1 nm inside r0 (on
 * the 0.002 nm grid) to the cut-off, which is the last row and so must lie on that grid. Its
 * force is the inside limit f[n − 1] (see `PairTable.sample`), so that readers interpolating
 * between rows reproduce cglab's force over the last interval. U there is 0.
 */
export function pairTableRows(table: PairTable): PairTableRows {
  const rows = table.sample(PAIR_TABLE_FILE_STEP);
  const last = rows.r.length - 1;
  // `sample` evaluates its last row at the cut-off but labels it with the nearest grid distance;
  // off the grid, the files would move the cut-off.
  if (Math.abs(rows.r[last] - table.cutoff) > 1e-9) {
    throw new Error(
      `pair table files: the cut-off ${table.cutoff} nm is not a multiple of ${PAIR_TABLE_FILE_STEP} nm, the rows' spacing; ` +
        `the last row would put it at ${formatGrid(rows.r[last])} nm (fit with a cut-off on that grid)`,
    );
  }
  return rows;
}

/** A grid distance without the last-bit noise of k·0.002 (e.g. 0.15, not 0.15000000000000002). */
function formatGrid(r: number): string {
  return String(Number(r.toPrecision(12)));
}

/** Shortest decimal that reads back as the same double. */
function formatValue(v: number): string {
  return String(v);
}

/** One table as the text of a CSV file (see the module comment), LF line ends. */
export function formatPairTableCsv(table: PairTable): string {
  const { r, u, f } = pairTableRows(table);
  const lines = [PAIR_TABLE_CSV_HEADER];
  for (let i = 0; i < r.length; i++) lines.push(`${formatGrid(r[i])},${formatValue(u[i])},${formatValue(f[i])}`);
  return lines.join('\n') + '\n';
}

/**
 * Writes `table` to `path` as CSV: header `r_nm,U_kJmol,F_kJmolnm`, then one row every 0.002 nm
 * of r (nm), U (kJ/mol, 0 at the cut-off: the last row) and F = −dU/dr (kJ/mol/nm, positive:
 * repulsive), numbers as the shortest decimals that read back exactly. Atomic: a failed write
 * leaves no file (and any previous one untouched).
 * @throws Error for a cut-off off the 0.002 nm grid (see `pairTableRows`), or from the file system.
 */
export function writePairTableCsv(path: string, table: PairTable): void {
  writeFileAtomic(path, formatPairTableCsv(table));
}

/** How a file names its columns' units in errors, and converts them to cglab's. */
interface FileUnits {
  /** Factors to nm, kJ/mol and kJ/mol/nm. */
  factors: { length: number; energy: number; force: number };
  /** Appended to r and energy values in messages ('' for cglab's own units). */
  length: string;
  energy: string;
  /** What the file calls the energy: U (CSV) or E (LAMMPS). */
  energyName: string;
}

const CGLAB_UNITS: FileUnits = { factors: { length: 1, energy: 1, force: 1 }, length: '', energy: '', energyName: 'U' };

/**
 * Rebuilds a table from rows r, energy, force in the file's units: nodes at the rows' r, which
 * must be evenly spaced, with the energy zero at the last row (the cut-off). `at(i, column)`
 * names row i's place in errors (column 1: r, 2: energy).
 */
function tableFromRows(r: number[], u: number[], f: number[], units: FileUnits, at: (i: number, column: number) => string, what: string): PairTable {
  const n = r.length;
  const { length: lu, energy: eu } = units;
  const dr = (r[n - 1] - r[0]) / (n - 1);
  if (!(dr > 0)) throw new Error(`${at(n - 1, 1)}: r must increase from row to row; the last row's r ${r[n - 1]}${lu} is not beyond the first's ${r[0]}${lu}`);
  for (let i = 1; i < n; i++) {
    // Files written with a few decimals (pair_write, spreadsheets) still sit on the grid to
    // 1e-4 of a step; a row further off would put its values at the wrong distance.
    if (Math.abs(r[i] - (r[0] + i * dr)) > 1e-4 * dr) {
      throw new Error(`${at(i, 1)}: rows must be evenly spaced in r: expected r = ${formatGrid(r[0] + i * dr)}${lu} (spacing ${formatGrid(dr)}${lu} from the first and last rows), found ${r[i]}${lu}`);
    }
  }
  // The PairTable's own tolerance: zero to rounding relative to the largest |U|.
  const scale = 1 + u.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  if (Math.abs(u[n - 1]) > 1e-9 * scale) {
    throw new Error(`${at(n - 1, 2)}: ${units.energyName} must be 0 at the last row (the cut-off, r = ${r[n - 1]}${lu}), found ${u[n - 1]}${eu}`);
  }
  const k = units.factors;
  return new PairTable(r[0] * k.length, dr * k.length, u.map((v) => v * k.energy), f.map((v) => v * k.force), what);
}

/**
 * Reads a table from the text of a pair-table CSV file (see `writePairTableCsv`).
 * @param source names the file in errors.
 * @throws Error naming `source`, the line and the column for a wrong header, a field that is not
 *   a number, a row without exactly three fields, r not evenly spaced, U not zero at the last
 *   row, or fewer than two rows.
 */
export function parsePairTableCsv(text: string, source: string): PairTable {
  const lines = text.split(/\r?\n/);
  let end = lines.length;
  while (end > 0 && lines[end - 1].trim() === '') end--;
  const header = (lines[0] ?? '').replace(/^\uFEFF/, '').trim();
  if (header !== PAIR_TABLE_CSV_HEADER) {
    throw new Error(`${source} line 1: expected the header '${PAIR_TABLE_CSV_HEADER}', found '${header}'`);
  }
  const r: number[] = [];
  const u: number[] = [];
  const f: number[] = [];
  const lineOf: number[] = [];
  for (let i = 1; i < end; i++) {
    const fields = lines[i].split(',');
    if (fields.length !== 3) {
      throw new Error(`${source} line ${i + 1}: expected 3 comma-separated fields (${PAIR_TABLE_CSV_HEADER}), found ${fields.length}`);
    }
    const values = fields.map((text, c) => {
      const v = parseDecimal(text);
      if (!Number.isFinite(v)) throw new Error(`${source} line ${i + 1}, column ${c + 1} (${CSV_COLUMNS[c]}): '${text.trim()}' is not a number`);
      return v;
    });
    r.push(values[0]);
    u.push(values[1]);
    f.push(values[2]);
    lineOf.push(i + 1);
  }
  if (r.length < 2) throw new Error(`${source} line ${end + 1}: a pair table needs at least 2 rows after the header, found ${r.length}`);
  return tableFromRows(r, u, f, CGLAB_UNITS, (k, c) => `${source} line ${lineOf[k]}, column ${c} (${CSV_COLUMNS[c - 1]})`, source);
}

/** Reads a pair-table CSV file (see `parsePairTableCsv` for the errors). */
export function readPairTableCsv(path: string): PairTable {
  return parsePairTableCsv(readFileSync(path, 'utf8'), path);
}

/** LAMMPS unit systems the table files are written in (both have distances in Å). */
export type LammpsUnits = 'real' | 'metal';

/** One section of a LAMMPS table file: `pair_coeff I J file KEYWORD` selects it. */
export interface LammpsTableSection {
  /** Section name: no spaces, not starting with '#'; unique in the file. */
  keyword: string;
  table: PairTable;
}

/**
 * Factors from LAMMPS units to cglab's: length Å → nm, energy (kcal/mol for real, eV for metal)
 * → kJ/mol, force (kcal/mol/Å, eV/Å) → kJ/mol/nm.
 */
export function lammpsUnitFactors(units: LammpsUnits): { length: number; energy: number; force: number } {
  if (units !== 'real' && units !== 'metal') throw new Error(`LAMMPS units must be 'real' or 'metal', got ${JSON.stringify(units)}`);
  const { length, energy, force } = lammpsUnitStyle(units);
  return { length, energy, force };
}

const UNIT_NAMES: Record<LammpsUnits, { energy: string; force: string }> = {
  real: { energy: 'kcal/mol', force: 'kcal/mol/Å' },
  metal: { energy: 'eV', force: 'eV/Å' },
};

/** The text of a LAMMPS table file holding `sections` (see `writeLammpsTable`). */
export function formatLammpsTable(sections: readonly LammpsTableSection[], units: LammpsUnits, date = new Date()): string {
  const k = lammpsUnitFactors(units);
  if (sections.length === 0) throw new Error('LAMMPS table file: no tables given');
  const seen = new Set<string>();
  for (const { keyword } of sections) {
    if (!/^[^\s#]\S*$/.test(keyword)) throw new Error(`LAMMPS table file: keyword '${keyword}' must be one word without spaces, not starting with '#'`);
    if (seen.has(keyword)) throw new Error(`LAMMPS table file: keyword '${keyword}' given twice; pair_coeff could reach only the first`);
    seen.add(keyword);
  }
  // LAMMPS reads the DATE: and UNITS: tags of the first line and refuses the file under other units.
  const out = [`# DATE: ${date.toISOString().slice(0, 10)}  UNITS: ${units}  CONTRIBUTOR: cglab (pair tables)`];
  for (const { keyword, table } of sections) {
    const { r, u, f } = pairTableRows(table);
    const n = r.length;
    const rA = (i: number) => formatGrid(r[i] / k.length);
    out.push('');
    out.push(`# ${keyword}: r Å, E ${UNIT_NAMES[units].energy}, F ${UNIT_NAMES[units].force}; cglab r0 ${formatGrid(table.r0 / k.length)} Å, cut-off ${formatGrid(table.cutoff / k.length)} Å`);
    out.push(keyword);
    out.push(`N ${n} R ${rA(0)} ${rA(n - 1)}`);
    out.push('');
    for (let i = 0; i < n; i++) out.push(`${i + 1} ${rA(i)} ${formatValue(u[i] / k.energy)} ${formatValue(f[i] / k.force)}`);
  }
  return out.join('\n') + '\n';
}

/**
 * Writes a LAMMPS `pair_style table` file with one section per table, following the LAMMPS
 * pair_style table documentation. The first line is the header `# DATE: … UNITS: <units> …`,
 * whose UNITS tag LAMMPS checks against the units in use; each section is a comment line, the
 * keyword line, `N <rows> R <rlo> <rhi>` and, after a blank line, rows `index r energy force`:
 * r in Å, energy in kcal/mol (real) or eV (metal), force = −dE/dr in kcal/mol/Å or eV/Å
 * (positive: repulsive). The rows are `pairTableRows(table)`: every 0.002 nm = 0.02 Å from
 * rlo = 0.1 nm (1 Å) inside cglab's r0 to rhi = the cut-off, where E is 0. Use it with
 * `pair_coeff I J file KEYWORD` (no cut-off argument: rhi is then the pair's cut-off).
 *
 * `R rlo rhi`, rather than only the r column, because the rows are evenly spaced in r: LAMMPS
 * then computes each row's distance from rlo and rhi instead of reading the printed value.
 *
 * What `pair_style table linear N` reproduces: LAMMPS fits cubic splines through the rows (E with
 * end slopes −F, F with end slopes from its first and last two rows), evaluates them at N points
 * evenly spaced in r² from rlo² to rhi², and interpolates E and F/r linearly in r² between those,
 * separately (its F is not exactly −dE/dr of its E). test/peers/lammps.test.ts reproduces that
 * to 1e-13 and measures the difference from cglab's Hermite table in random liquids whose
 * closest pairs (0.23 nm) are in the wall, with r0 0.24–0.25 nm and cut-offs 0.7–0.9 nm:
 * - N = the rows of the file (376 here): the r² grid is coarser than the rows inside
 *   r ≈ (rhi² − rlo²)/(2(N − 1)·0.002 nm) (0.52 nm here; 3.5× coarser at rlo), so close pairs
 *   are off by up to ~1%: a force component by up to 8e-3 of the sum of its pairs' |forces|
 *   (12 kJ/mol/nm at an RMS force of 865), the energy of 400 beads by up to 16 kJ/mol
 *   (0.04 kJ/mol a bead; 0.6–1.6% of these totals), too high, as linear interpolation of a
 *   convex U is;
 * - N = `lammpsTableLength(tables)` (1314 here), the grid nowhere coarser than the rows: forces
 *   within 1.2e-3 of the pair sums (1.8 kJ/mol/nm), energy 1.3 kJ/mol (≤ 0.15%). Recommended.
 * - Larger N shrinks the energy's difference as 1/N², but the force's stays ~1e-3 of F near r0:
 *   cglab's F has a kink there (its wall continues F with the first interval's secant slope,
 *   ~5% off the Hermite piece's slope for this LJ), and LAMMPS's spline through the rows rings
 *   around it.
 *
 * The inner margin: LAMMPS stops with "Pair distance < table inner cutoff" when any pair comes
 * closer than rlo, so the rows start 0.1 nm inside r0, in cglab's wall (U there is at least
 * ½·1e4·0.1² = 50 kJ/mol above U(r0)); a pair reaching rlo means the run had already broken down.
 * Atomic: a failed write leaves no file (and any previous one untouched).
 * @throws Error for no tables, a keyword with spaces or starting with '#', a repeated keyword,
 *   units other than real and metal, or a cut-off off the 0.002 nm grid (see `pairTableRows`).
 */
export function writeLammpsTable(path: string, tables: readonly LammpsTableSection[], units: LammpsUnits): void {
  writeFileAtomic(path, formatLammpsTable(tables, units));
}

/**
 * The smallest N for `pair_style table linear N` whose grid, evenly spaced in r² from each
 * table's first row (rlo) to its cut-off (rhi), is nowhere coarser in r than the file's rows:
 * N − 1 ≥ (rhi² − rlo²)/(2·rlo·0.002 nm) for every table (one N serves all tables of a
 * pair_style). About 3.5× the rows for rlo 0.15 nm and rhi 0.9 nm.
 * @throws Error for no tables.
 */
export function lammpsTableLength(tables: readonly PairTable[]): number {
  if (tables.length === 0) throw new Error('lammpsTableLength: no tables given');
  let n = 2;
  for (const table of tables) {
    const { r } = pairTableRows(table);
    const lo = r[0];
    const hi = r[r.length - 1];
    // The 1e-9 keeps a quotient that is a whole number up to rounding from gaining a point.
    n = Math.max(n, Math.ceil((hi * hi - lo * lo) / (2 * lo * PAIR_TABLE_FILE_STEP) - 1e-9) + 1);
  }
  return n;
}

/**
 * Reads the section `keyword` of the text of a LAMMPS pair table file in `units` back into a
 * PairTable (nm, kJ/mol, kJ/mol/nm): nodes at the rows' r, from `R rlo rhi` when given (as
 * LAMMPS does), else from the r column, which must then be evenly spaced. RSQ and BITMAP tables
 * are not evenly spaced in r and are refused; FPRIME is read past. A `UNITS:` tag in the first
 * line must match `units`.
 * @param source names the file in errors.
 * @throws Error naming `source` and the line (and column) for a missing keyword or `N`, a
 *   parameter line cglab cannot read, a short or non-numeric row, r not evenly spaced, E not zero
 *   at the last row, fewer than two rows, or units that do not match the header.
 */
export function parseLammpsTable(text: string, source: string, keyword: string, units: LammpsUnits): PairTable {
  const k = lammpsUnitFactors(units);
  const lines = text.split(/\r?\n/);
  const at = (i: number) => `${source} line ${i + 1}`;
  const tag = /^#.*\bUNITS:\s*(\S+)/.exec(lines[0] ?? '');
  if (tag && tag[1] !== units) throw new Error(`${at(0)}: the file is in LAMMPS units ${tag[1]}, not ${units}`);
  const found: string[] = [];
  let i = 0;
  for (;;) {
    while (i < lines.length && (lines[i].trim() === '' || lines[i].trimStart().startsWith('#'))) i++;
    if (i >= lines.length) {
      throw new Error(`${source}: no section '${keyword}'${found.length ? `; the file holds ${found.join(', ')}` : ' (the file holds no sections)'}`);
    }
    const name = lines[i].trim().split(/\s+/)[0];
    found.push(name);
    const params = parseParams(lines[i + 1], i + 1, at);
    if (name === keyword) {
      i += 2;
      while (i < lines.length && lines[i].trim() === '') i++;
      return readSection(lines, i, params, k, UNIT_NAMES[units].energy, keyword, at, source);
    }
    // LAMMPS skips a section as its parameter line, one blank line and N rows.
    i += 3 + params.n;
  }
}

interface SectionParams {
  n: number;
  /** Evenly spaced rows from rlo to rhi (Å), when the R parameter is given. */
  range?: [number, number];
  line: number;
}

function parseParams(text: string | undefined, line: number, at: (i: number) => string): SectionParams {
  if (text === undefined) throw new Error(`${at(line)}: the file ends before the parameter line (N …) of the section above`);
  const words = text.trim().split(/\s+/);
  const out: SectionParams = { n: 0, line };
  const num = (w: number, what: string) => {
    const v = parseDecimal(words[w] ?? '');
    if (!Number.isFinite(v)) throw new Error(`${at(line)}, word ${w + 1}: ${what} '${words[w] ?? ''}' is not a number`);
    return v;
  };
  for (let w = 0; w < words.length; w++) {
    const p = words[w];
    if (p === 'N') {
      const n = num(++w, 'N');
      if (!Number.isInteger(n)) throw new Error(`${at(line)}, word ${w + 1}: N must be a whole number of rows, found '${words[w]}'`);
      out.n = n;
    } else if (p === 'R') {
      out.range = [num(++w, 'rlo'), num(++w, 'rhi')];
    } else if (p === 'FPRIME' || p === 'FP') {
      // Only LAMMPS's own splines use dF/dr at the ends; cglab's nodes carry F itself.
      num(++w, 'fplo');
      num(++w, 'fphi');
    } else if (p === 'RSQ' || p === 'BITMAP') {
      throw new Error(`${at(line)}, word ${w + 1}: ${p} tables are not evenly spaced in r; cglab reads R tables or explicit evenly spaced r`);
    } else {
      throw new Error(`${at(line)}, word ${w + 1}: unknown table parameter '${p}' (expected N, R, FPRIME)`);
    }
  }
  if (!(out.n > 0)) throw new Error(`${at(line)}: the parameter line must give N, the number of rows (e.g. 'N 376 R 1.5 9')`);
  return out;
}

function readSection(
  lines: string[],
  first: number,
  params: SectionParams,
  k: { length: number; energy: number; force: number },
  energyUnit: string,
  keyword: string,
  at: (i: number) => string,
  source: string,
): PairTable {
  const { n, range } = params;
  if (n < 2) throw new Error(`${at(params.line)}: section '${keyword}' has N = ${n}; a pair table needs at least 2 rows`);
  const r: number[] = [];
  const u: number[] = [];
  const f: number[] = [];
  const COLUMNS = ['index', 'r', 'energy', 'force'];
  for (let row = 0; row < n; row++) {
    const i = first + row;
    if (i >= lines.length || lines[i].trim() === '') {
      throw new Error(`${at(Math.min(i, lines.length))}: section '${keyword}' declares N = ${n} rows but has only ${row}`);
    }
    const words = lines[i].trim().split(/\s+/);
    if (words.length < 4) throw new Error(`${at(i)}: expected 'index r energy force', found '${lines[i].trim()}'`);
    const v = words.slice(0, 4).map((w, c) => {
      const x = parseDecimal(w);
      if (!Number.isFinite(x)) throw new Error(`${at(i)}, column ${c + 1} (${COLUMNS[c]}): '${w}' is not a number`);
      return x;
    });
    if (v[0] !== row + 1) throw new Error(`${at(i)}, column 1 (index): expected row index ${row + 1}, found '${words[0]}'`);
    // With R, LAMMPS computes each distance from rlo and rhi and ignores the r column.
    r.push(range ? range[0] + ((range[1] - range[0]) * row) / (n - 1) : v[1]);
    u.push(v[2]);
    f.push(v[3]);
  }
  const column = (c: number) => (c === 1 ? 2 : 3);
  const units: FileUnits = { factors: k, length: ' Å', energy: ` ${energyUnit}`, energyName: 'E' };
  return tableFromRows(r, u, f, units, (row, c) => `${at(first + row)}, column ${column(c)} (${COLUMNS[column(c) - 1]})`, `${source}: ${keyword}`);
}

/** Reads section `keyword` of a LAMMPS table file (see `parseLammpsTable` for the errors). */
export function readLammpsTable(path: string, keyword: string, units: LammpsUnits): PairTable {
  return parseLammpsTable(readFileSync(path, 'utf8'), path, keyword, units);
}
